"""The published warehouse: built aside, published atomically, read read-only.

DuckDB lets one process hold a file for writing and then no reader can open it, so dbt never
writes the published file. It builds a working copy next to it; once the build and its checks
pass, the working copy is checkpointed, closed and renamed over the published one. A rename
within one folder is atomic: a reader sees the old warehouse or the new one, never half of one,
and a reader that opened the old file keeps reading it until it closes.

An incremental build starts from the published state, so its working copy must be a copy of
the published file. That copy is made right after publishing (beside the report) and stamped
with both files' identity; the next build uses it only if the stamp still matches both, and
copies the published file again otherwise.

One build at a time: a build holds an exclusive lock on a file beside the warehouse for its
whole run (flock: the operating system releases it when the process ends, even when killed, so
a lock is never left stale). Readers take no lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]


def working_path(warehouse: Path) -> Path:
    """Where a build writes before publishing (same folder, so the rename is atomic)."""
    return warehouse.with_name(f".{warehouse.name}.work")


class WarehouseBusy(Exception):
    """Another program holds a file the build needs; the message says which and what to do."""


class BuildLocked(WarehouseBusy):
    """Another build of the same warehouse is running and the caller chose not to wait."""


def dbt_target_path(warehouse: Path) -> Path:
    """dbt's target folder for the builds of this warehouse (see build.build_env)."""
    return warehouse.with_name(f".{warehouse.name}.dbt")


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.lock")


def _holder(handle) -> str:
    """Who holds the lock, as its holder wrote it (pid, host, since when)."""
    handle.seek(0)
    try:
        held = json.loads(handle.read() or "{}")
    except ValueError:
        held = {}
    if not held:
        return "holder unknown"
    return f"pid {held['pid']} on {held['host']}, since {held['since']}"


@contextlib.contextmanager
def build_lock(warehouse: Path, wait: bool, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the warehouse's build lock for the block. Another build holding it: wait for it
    (saying so once) or, with wait=False, raise BuildLocked at once."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    # never deleted: a build unlinking it while a waiting one holds it open would let a third
    # lock a new file beside the second
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if not wait:
                raise BuildLocked(f"another build of {warehouse} is running ({holder}); "
                                  "try again when it has finished, or build without WAIT=0 "
                                  "to wait for it") from None
            say(f"another build of {warehouse} is running ({holder}); waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)}))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)


def check_not_open(database: Path) -> None:
    """Raise WarehouseBusy if another program holds database open (DuckDB lets one writer, or
    readers, hold a file: a build cannot write a file a `duckdb` shell has open)."""
    if not database.exists():
        return
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as exc:
        holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
        who = f"{holder[1]}, pid {holder[2]}" if holder else "another program"
        raise WarehouseBusy(f"{database} is open in {who}; close it and build again") from exc


def _stamp_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.work.json")


def _identity(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _stamp(warehouse: Path) -> dict:
    return {"published": _identity(warehouse), "working_copy": _identity(working_path(warehouse))}


def working_copy_is_current(warehouse: Path) -> bool:
    """Whether the working copy is still the copy of the published file made after it was
    published: neither file was replaced or written since (inode, size and mtime unchanged)."""
    try:
        return json.loads(_stamp_path(warehouse).read_text()) == _stamp(warehouse)
    except (OSError, ValueError):
        return False


def prepare_working_copy(warehouse: Path) -> bool:
    """Make the working copy a copy of the published file for an incremental build; False if
    the one kept from the last build was current and no copy was needed."""
    if working_copy_is_current(warehouse):
        _stamp_path(warehouse).unlink()  # the build is about to change it
        return False
    _copy_published(warehouse)
    return True


def refresh_working_copy(warehouse: Path) -> None:
    """After publishing: copy the published file for the next build and stamp both."""
    _copy_published(warehouse)
    _stamp_path(warehouse).write_text(json.dumps(_stamp(warehouse)))


def _copy_published(warehouse: Path) -> None:
    discard(warehouse)  # the old copy and its stamp first: their room counts for the new one
    copy_file(warehouse, working_path(warehouse))


def copy_file(source: Path, destination: Path) -> None:
    """Copy in the kernel with copy_file_range: a clone sharing the blocks where the file system
    can (XFS, Btrfs), else a copy without passing through user space (on ext4 11-17 s for the
    14 GB million-customer warehouse, against 12-24 s with shutil's sendfile in alternating
    runs); shutil where the call is not supported. Refused before it starts when the
    destination's file system has less room than the source takes."""
    size, free = source.stat().st_size, shutil.disk_usage(destination.parent).free
    if free < size:
        raise OSError(errno.ENOSPC, f"copying {source} ({_megabytes(size)}) needs more disk: "
                      f"{_megabytes(free)} free in {destination.parent}")
    try:
        with open(source, "rb") as src, open(destination, "wb") as dst:
            done = 0
            while done < size:
                copied = os.copy_file_range(src.fileno(), dst.fileno(), min(1 << 30, size - done))
                if copied == 0:
                    raise OSError(f"{source} shrank while it was copied")
                done += copied
    except (AttributeError, OSError):
        shutil.copyfile(source, destination)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def publish(warehouse: Path) -> None:
    """Checkpoint the working copy and rename it over the published file."""
    work = working_path(warehouse)
    con = duckdb.connect(str(work))
    try:
        con.execute("checkpoint")  # fold the write-ahead log into the file before the rename
    finally:
        con.close()
    wal = work.with_name(work.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after checkpoint; not publishing")
    os.replace(work, warehouse)


def discard(warehouse: Path) -> None:
    """Delete the working copy (and its write-ahead log and stamp)."""
    work = working_path(warehouse)
    for path in (work, work.with_name(work.name + ".wal"), _stamp_path(warehouse)):
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
    try:
        con = connect(warehouse)
    except duckdb.IOException as exc:
        if "lock" not in str(exc):
            raise
        check_not_open(warehouse)  # names the program holding it for writing
        raise
    try:
        if not con.execute("select count(*) from information_schema.tables "
                           "where table_name = 'kam_build_info'").fetchall()[0][0]:
            return None
        cursor = con.execute("select * from kam_build_info")
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchall()[0]))
    finally:
        con.close()


def months_rebuilt(work: Path) -> list[dt.date]:
    con = duckdb.connect(str(work), read_only=True)
    try:
        return [row[0] for row in con.execute(
            "select month_end from int_build_months where is_rebuilt order by month_end").fetchall()]
    finally:
        con.close()


def record_build(work: Path, signature: str, mode: str, months: list[dt.date]) -> None:
    """What built this warehouse: the next build is incremental only if its signature matches."""
    con = duckdb.connect(str(work))
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
