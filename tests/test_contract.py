"""Structural problems stop the build with a message naming the file and column."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kam import contract
from rawfiles import write_raw


def test_contract_is_read_from_the_sources_yaml():
    entities = contract.load_contract()
    assert list(entities) == ["customers", "orders", "contacts", "surveys"]
    required = {c.name for c in entities["orders"] if c.required}
    assert required == {"order_id", "customer_id", "order_date", "status", "revenue"}


def test_missing_required_column_names_file_and_column(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "orders" / "b.csv").write_text("order_id,customer_id,status,revenue\nO10,C1,completed,5\n")
    with pytest.raises(contract.ContractError, match=r"orders/b\.csv: required column 'order_date' missing"):
        contract.check_raw(raw)


def test_file_that_is_not_csv_or_parquet(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "surveys" / "notes.xlsx").write_bytes(b"PK")
    with pytest.raises(contract.ContractError, match=r"surveys/notes\.xlsx: raw files must be \.csv or \.parquet"):
        contract.check_raw(raw)


def test_empty_and_missing_entity_folders(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "contacts" / "a.csv").unlink()
    with pytest.raises(contract.ContractError, match=r"contacts: raw entity 'contacts' has no \.csv or \.parquet file"):
        contract.check_raw(raw)
    (raw / "contacts").rmdir()
    with pytest.raises(contract.ContractError, match=r"the folder for raw entity 'contacts' is missing"):
        contract.check_raw(raw)


def test_non_utf8_csv_is_named(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "customers" / "gbk.csv").write_bytes("customer_id,customer_name\nC9,华信\n".encode("gbk"))
    with pytest.raises(contract.ContractError, match=r"customers/gbk\.csv: not UTF-8"):
        contract.check_raw(raw)


def test_build_command_stops_on_structure_and_publishes_nothing(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "orders" / "b.csv").write_text("order_id,customer_id\nO10,C1\n")
    warehouse = tmp_path / "wh" / "kam.duckdb"
    env = {**os.environ, "RAW_DIR": str(raw), "WAREHOUSE": str(warehouse)}
    result = subprocess.run([str(Path(sys.executable).with_name("kam")), "build"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "orders/b.csv: required columns 'order_date', 'status', 'revenue' missing" in result.stderr
    assert not warehouse.exists()


def test_files_in_subfolders_count_and_dot_names_are_skipped(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "orders" / "2026-10").mkdir()
    (raw / "orders" / "2026-10" / "part-0.csv").write_text("order_id,customer_id,order_date,status,revenue\n")
    (raw / "orders" / ".upload").mkdir()
    (raw / "orders" / ".upload" / "half-written.xlsx").write_bytes(b"PK")
    assert contract.check_raw(raw)["orders"] == 2
    (raw / "orders" / "2026-10" / "notes.txt").write_text("")
    with pytest.raises(contract.ContractError, match=r"orders/2026-10/notes\.txt: raw files must be"):
        contract.check_raw(raw)
