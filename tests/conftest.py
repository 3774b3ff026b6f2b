"""Fixtures: small generated or hand-made raw data, built into throwaway warehouses."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam import build, contract, demo_data

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "false"

# Fixed so test data does not move with the calendar.
LAST_MONTH = dt.date(2026, 10, 1)
DEMO_SCALE = 400


def build_warehouse(raw_dir: Path, target: Path, *dbt_args: str, validate: bool = True) -> Path:
    build.build(raw_dir, target, scale=0, seed=0, dbt_args=list(dbt_args), validate=validate)
    return target


def _read(warehouse: Path, sql: str, fetch: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return getattr(con.execute(sql), fetch)()
    finally:
        con.close()


def query(warehouse: Path, sql: str):
    """Rows as tuples."""
    return _read(warehouse, sql, "fetchall")


def frame(warehouse: Path, sql: str):
    """Rows as a pandas dataframe."""
    return _read(warehouse, sql, "df")


def file_digest(path: Path) -> str:
    """A file's SHA-256: a published warehouse left as it was has the same."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# one landed table per raw entity; each row says which dbt run landed it (_landed_by)
LANDED_ROWS = {f"landed_raw__{entity}" for entity in contract.load_contract()}


def table_differences(left, right) -> dict[str, tuple[int, int]]:
    """Per table: rows only in left, rows only in right (bags, so duplicates count)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        tables = [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'l' order by 1").fetchall()]
        assert tables == [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'r' order by 1").fetchall()]
        out = {}
        for table in tables:
            if table == "kam_build_info":
                continue  # says how each was built: differs by design
            # which months a build recomputed, and which dbt run landed a raw row, differ by
            # design; the fingerprints and the rows may not
            if table == "int_build_months":
                columns = "month_end, fingerprint, n_rows"
            elif table in LANDED_ROWS:
                columns = "* exclude (_landed_by)"
            else:
                columns = "*"
            counts = [con.execute(f"select count(*) from (select {columns} from {a}.main.{table} "
                                  f"except all select {columns} from {b}.main.{table})").fetchall()[0][0]
                      for a, b in (("l", "r"), ("r", "l"))]
            out[table] = tuple(counts)
        return out
    finally:
        con.close()


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    demo_data.generate(root / "raw", root / "truth", DEMO_SCALE, seed=7, last_month=LAST_MONTH,
                       progress=False)
    return root / "raw"


@pytest.fixture(scope="session")
def demo_warehouse(demo_raw, tmp_path_factory) -> Path:
    return build_warehouse(demo_raw, tmp_path_factory.mktemp("wh") / "kam.duckdb")


@pytest.fixture(scope="session")
def handmade_warehouse(tmp_path_factory):
    """The hand-made raw rows (tests/rawfiles.py) plus a Parquet file, built without the gate."""
    from rawfiles import write_raw

    root = tmp_path_factory.mktemp("handmade")
    raw = write_raw(root / "raw")
    # a Parquet file beside the CSV one: both are read together
    pq.write_table(pa.table({"order_id": ["P1", "P2"], "customer_id": ["C1", "C1"],
                             "order_date": pa.array([pd.Timestamp("2024-04-01").date()] * 2),
                             "status": ["completed", "completed"], "revenue": [20.0, -3.0]}),
                   raw / "orders" / "b.parquet")
    # and one typed as the contract is (decimal, date): read as it is, no round trip through text
    pq.write_table(pa.table({"order_id": ["P3"], "customer_id": ["C1"],
                             "order_date": pa.array([pd.Timestamp("2024-04-02").date()]),
                             "status": ["completed"],
                             "revenue": pa.array([Decimal("-4.25")], pa.decimal128(18, 2))}),
                   raw / "orders" / "c.parquet")
    # mostly bad rows by design: far over the quarantine ceiling the gate enforces
    return build_warehouse(raw, root / "kam.duckdb", validate=False)


def differing_tables(left, right) -> dict[str, tuple[int, int]]:
    """table_differences, the tables that differ only."""
    return {t: d for t, d in table_differences(left, right).items() if d != (0, 0)}
