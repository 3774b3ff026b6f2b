"""Fixtures: small generated or hand-made raw data, built into throwaway warehouses."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
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


def query(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
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
