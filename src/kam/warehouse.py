"""The published warehouse: built aside, published atomically, read read-only.

DuckDB lets one process hold a file for writing and then no reader can open it, so dbt never
writes the published file. It builds a staging file next to it; once the build and its checks
pass, the staging file is checkpointed, closed and renamed over the published one. A rename
within one folder is atomic: a reader sees the old warehouse or the new one, never half of one,
and a reader that opened the old file keeps reading it until it closes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]


def staging_path(warehouse: Path) -> Path:
    """Where a build writes before publishing (same folder, so the rename is atomic)."""
    return warehouse.with_name(f".{warehouse.name}.building")


def publish(staging: Path, warehouse: Path) -> None:
    con = duckdb.connect(str(staging))
    try:
        con.execute("checkpoint")  # fold the write-ahead log into the file before the rename
    finally:
        con.close()
    wal = staging.with_name(staging.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after checkpoint; not publishing")
    os.replace(staging, warehouse)


def discard(staging: Path) -> None:
    for path in (staging, staging.with_name(staging.name + ".wal")):
        path.unlink(missing_ok=True)


def connect(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse."""
    path = Path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"no published warehouse at {path}; run `make build` first")
    return duckdb.connect(str(path), read_only=True)


def build_info(warehouse: Path) -> dict | None:
    """The published warehouse's build record (see record_build), or None."""
    if not warehouse.exists():
        return None
    con = connect(warehouse)
    try:
        if not con.execute("select count(*) from information_schema.tables "
                           "where table_name = 'kam_build_info'").fetchall()[0][0]:
            return None
        cursor = con.execute("select * from kam_build_info")
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchall()[0]))
    finally:
        con.close()


def months_rebuilt(staging: Path) -> list[dt.date]:
    con = duckdb.connect(str(staging), read_only=True)
    try:
        return [row[0] for row in con.execute(
            "select month_end from int_build_months where is_rebuilt order by month_end").fetchall()]
    finally:
        con.close()


def record_build(staging: Path, signature: str, mode: str, months: list[dt.date]) -> None:
    """What built this warehouse: the next build is incremental only if its signature matches."""
    con = duckdb.connect(str(staging))
    try:
        # dbt-duckdb leaves the staging tables of incremental Python models behind
        for (name,) in con.execute("select table_name from duckdb_tables() "
                                   "where table_name like '%\\_\\_dbt\\_tmp%' escape '\\'").fetchall():
            con.execute(f'drop table "{name}"')
        con.execute("create or replace table kam_build_info as select ? as signature, ? as mode, "
                    "current_timestamp as built_at, ? as n_months_rebuilt, ? as first_month_rebuilt",
                    [signature, mode, len(months), months[0] if months else None])
    finally:
        con.close()
