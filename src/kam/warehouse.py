"""The published warehouse: built aside, published atomically, read read-only.

DuckDB lets one process hold a file for writing and then no reader can open it, so dbt never
writes the published file. It builds a staging file next to it; once the build and its checks
pass, the staging file is checkpointed, closed and renamed over the published one. A rename
within one folder is atomic: a reader sees the old warehouse or the new one, never half of one,
and a reader that opened the old file keeps reading it until it closes.
"""

from __future__ import annotations

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
