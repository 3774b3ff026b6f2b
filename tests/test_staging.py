"""Staging: every raw row is either staged or quarantined with its file, row and reason."""

from __future__ import annotations

import glob
from pathlib import Path

import pandas as pd

from conftest import build_warehouse, query
from rawfiles import EXPECTED_QUARANTINE, STAGED, keep_columns, write_raw


def test_each_bad_row_is_quarantined_with_file_row_column_and_reason(handmade_warehouse):
    rows = query(handmade_warehouse, """
        select entity, source_file, source_row, column_name, reason_code
        from stg_raw__quarantined_rows""")
    found = {(e, Path(f).name, r, c, reason) for e, f, r, c, reason in rows}
    expected = EXPECTED_QUARANTINE | {("orders", "b.parquet", 2, "revenue", "negative_revenue")}
    assert found == expected


def test_quarantine_keeps_the_raw_row(handmade_warehouse):
    [(raw_row,)] = query(handmade_warehouse, """
        select raw_row from stg_raw__quarantined_rows
        where entity = 'customers' and reason_code = 'invalid_code'""")
    assert '"channel":"shop"' in raw_row and '"customer_id":"C3"' in raw_row


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
