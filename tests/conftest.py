"""Fixtures: small generated or hand-made raw data, built into throwaway warehouses."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam import build, demo_data

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
