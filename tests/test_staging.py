"""Staging: every raw row is either staged or quarantined with its file, row and reason."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pandas as pd

from conftest import build_warehouse, query
from kam import build
from rawfiles import EXPECTED_QUARANTINE, ORDERS, STAGED, keep_columns, write_raw


def test_each_bad_row_is_quarantined_with_file_row_column_and_reason(handmade_warehouse):
    rows = query(handmade_warehouse, """
        select entity, source_file, source_row, column_name, reason_code
        from stg_raw__quarantined_rows""")
    found = {(e, Path(f).name, r, c, reason) for e, f, r, c, reason in rows}
    expected = EXPECTED_QUARANTINE | {("orders", "b.parquet", 2, "revenue", "negative_revenue"),
                                      ("orders", "c.parquet", 1, "revenue", "negative_revenue")}
    assert found == expected


def test_quarantine_keeps_the_raw_row(handmade_warehouse):
    [(raw_row,)] = query(handmade_warehouse, """
        select raw_row from stg_raw__quarantined_rows
        where entity = 'customers' and reason_code = 'invalid_code'""")
    assert '"channel":"shop"' in raw_row and '"customer_id":"C3"' in raw_row
    # values as read, not as parsed: CSV text, a Parquet double (read through text), a Parquet
    # decimal and date of the contract's type (taken as they are)
    orders = dict(query(handmade_warehouse, """
        select source_file || ':' || source_row, raw_row from stg_raw__quarantined_rows
        where entity = 'orders'"""))
    raw_rows = {Path(k).name: v for k, v in orders.items()}
    assert '"revenue":"-10",' in raw_rows["a.csv:5"] and '"revenue":"ten",' in raw_rows["a.csv:7"]
    assert '"cost":"5",' in raw_rows["a.csv:7"] and '"due_date":null' in raw_rows["a.csv:7"]
    assert '"revenue":"-3.0",' in raw_rows["b.parquet:2"]
    assert '"order_date":"2024-04-02",' in raw_rows["c.parquet:1"]
    assert '"revenue":"-4.25",' in raw_rows["c.parquet:1"] and '"cost":null' in raw_rows["c.parquet:1"]


def test_staged_rows_are_typed_and_names_survive(handmade_warehouse):
    counts = {e: query(handmade_warehouse, f"select count(*) from stg_raw__{e}")[0][0]
              for e in STAGED}
    assert counts == {**STAGED, "orders": STAGED["orders"] + 1}
    [(name, flag, signed)] = query(handmade_warehouse, """
        select customer_name, is_reference_account, signed_date
        from stg_raw__customers where customer_id = 'C1'""")
    assert (name, flag, str(signed)) == ("北京华信科技有限公司", True, "2024-01-20")
    [(revenue,)] = query(handmade_warehouse,
                         "select sum(revenue) from stg_raw__orders where status = 'completed'")
    assert str(revenue) == "170.50"  # O1 100.00 + O2 50.5 + P1 20


def test_every_optional_column_may_be_absent(tmp_path):
    from kam import contract
    raw = write_raw(tmp_path / "raw")
    for entity, columns in contract.load_contract().items():
        keep_columns(raw, entity, [c.name for c in columns if c.required])
    warehouse = build_warehouse(raw, tmp_path / "kam.duckdb", validate=False)
    counts = {e: query(warehouse, f"select count(*) from stg_raw__{e}")[0][0] for e in STAGED}
    # without the optional columns, rows that failed only on them are now staged
    assert counts == {"customers": 3, "orders": 3, "contacts": 3, "surveys": 5}


def test_raw_rows_equal_staged_plus_quarantined(demo_raw, demo_warehouse):
    for entity in STAGED:
        raw_rows = sum(len(pd.read_csv(f, dtype=str)) for f in glob.glob(f"{demo_raw}/{entity}/**/*.csv", recursive=True))
        [(staged, quarantined)] = query(demo_warehouse, f"""
            select (select count(*) from stg_raw__{entity}),
                   (select count(*) from stg_raw__quarantined_rows where entity = '{entity}')""")
        assert raw_rows == staged + quarantined, entity
        assert quarantined > 0, f"the demo data should show quarantine at work for {entity}"


def test_a_build_reads_only_new_files_and_checks_them_with_the_landed_rows(tmp_path):
    raw = write_raw(tmp_path / "raw")
    target = tmp_path / "kam.duckdb"
    assert build.build(raw, target, 0, 0, [], validate=False) == "full"

    # a.csv edited in place with its size and modification time kept: the quick check
    # (name, size, time) cannot see it, which shows that a.csv is not read again
    landed = raw / "orders" / "a.csv"
    stamp = landed.stat()
    first_o1 = "O1,C1,2024-03-01,completed,100.00"
    landed.write_text(ORDERS.replace(first_o1, first_o1.replace("100.00", "900.00"), 1), encoding="utf-8")
    os.utime(landed, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    # new files: an order key landed before, a new order, and the customer O3 was missing
    (raw / "orders" / "b.csv").write_text(
        "order_id,customer_id,order_date,status,revenue\n"
        "O2,C1,2024-03-09,completed,5\n"
        "O10,C1,2024-03-09,completed,7\n", encoding="utf-8")
    (raw / "customers" / "b.csv").write_text(
        "customer_id,customer_name,industry,region,channel,created_date\n"
        "C9,Late arrival,finance,east,direct,2024-01-01\n", encoding="utf-8")
    assert build.build(raw, target, 0, 0, [], validate=False) == "incremental"

    def orders_seen(warehouse):
        quarantined = {(Path(f).name, r, c, reason) for f, r, c, reason in query(warehouse, """
            select source_file, source_row, column_name, reason_code
            from stg_raw__quarantined_rows where entity = 'orders'""")}
        revenue = dict(query(warehouse, "select order_id, revenue from stg_raw__orders"))
        return quarantined, revenue

    quarantined, revenue = orders_seen(target)
    assert ("b.csv", 2, "order_id", "duplicate_key") in quarantined  # O2 landed before, in a.csv
    assert ("a.csv", 4, "customer_id", "unknown_customer") not in quarantined  # O3: C9 has arrived
    assert str(revenue["O1"]) == "100.00" and str(revenue["O10"]) == "7.00" and "O3" in revenue
    # a full build reads every file again and sees the edit; all else is the same
    full_quarantined, full_revenue = orders_seen(build_warehouse(raw, tmp_path / "full.duckdb", validate=False))
    assert full_quarantined == quarantined
    assert str(full_revenue["O1"]) == "900.00"
    assert {k: v for k, v in full_revenue.items() if k != "O1"} == {k: v for k, v in revenue.items() if k != "O1"}

    # a new file that sorts before landed ones could move a key's first occurrence: the
    # entity is read again from all its files, the edited a.csv included
    (raw / "orders" / "0.csv").write_text(
        "order_id,customer_id,order_date,status,revenue\nO11,C1,2024-03-10,completed,3\n", encoding="utf-8")
    assert build.build(raw, target, 0, 0, [], validate=False) == "incremental"
    quarantined, revenue = orders_seen(target)
    assert str(revenue.pop("O1")) == "900.00" and str(revenue.pop("O11")) == "3.00"
    assert quarantined == full_quarantined and revenue == {k: v for k, v in full_revenue.items() if k != "O1"}
