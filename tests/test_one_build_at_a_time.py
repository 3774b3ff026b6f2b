"""One build at a time, and expected failures said in one line with the published warehouse kept:
a second build waits or stops, a killed build, a full disk, a working copy held open elsewhere."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import build_warehouse, differing_tables, file_digest, query
from kam import build, warehouse

KAM = str(Path(sys.executable).with_name("kam"))


def _kam_build(raw: Path, target: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([KAM, "build", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            env={**os.environ, "RAW_DIR": str(raw), "WAREHOUSE": str(target), **env})


def test_a_second_build_told_not_to_wait_stops_at_once_naming_the_first(tmp_path):
    target = tmp_path / "kam.duckdb"
    with warehouse.build_lock(target, wait=False, say=print):
        started = time.monotonic()
        second = _kam_build(tmp_path / "raw", target, WAIT="0")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 75
        assert time.monotonic() - started < 30
    assert err.strip().count("\n") == 0, err  # one line, no traceback
    assert f"error: another build of {target} is running (pid {os.getpid()} on " in err
    assert "try again when it has finished" in err
    # the lock went with its holder: a build now gets it at once
    with warehouse.build_lock(target, wait=False, say=print):
        pass


def test_two_builds_started_together_run_one_after_the_other(demo_raw, demo_warehouse, tmp_path):
    target = tmp_path / "kam.duckdb"
    builds = [_kam_build(demo_raw, target) for _ in range(2)]
    errs = [b.communicate(timeout=900)[1] for b in builds]
    assert [b.returncode for b in builds] == [0, 0], errs
    waited = [err for err in errs if "is running (pid" in err and "waiting for it to finish" in err]
    assert len(waited) == 1, errs
    # the one that waited found the other's warehouse published and nothing to rebuild
    assert "(incremental build)" in waited[0] and "months rebuilt: none" in waited[0]
    assert "Traceback" not in "".join(errs)
    # and what is published equals one complete build of the same raw data, row for row
    assert differing_tables(demo_warehouse, target) == {}


def _stop_during_dbt(builder: subprocess.Popen, work: Path, signal_number: int) -> None:
    """Send the build and its dbt a signal once dbt writes the working copy."""
    deadline = time.monotonic() + 120
    while builder.poll() is None and time.monotonic() < deadline and \
            not (work.exists() and work.stat().st_size > 1_000_000):
        time.sleep(0.05)
    assert builder.poll() is None, builder.stderr.read()
    os.killpg(builder.pid, signal_number)  # the build and its dbt, as Ctrl-C or kill -9 -PGID


def test_a_build_interrupted_or_killed_during_dbt_leaves_the_published_warehouse(
        demo_raw, demo_warehouse, tmp_path):
    published = tmp_path / "kam.duckdb"
    shutil.copy(demo_warehouse, published)
    before = file_digest(published)
    work = warehouse.working_path(published)

    interrupted = _kam_build(demo_raw, published, FULL="1")
    _stop_during_dbt(interrupted, work, signal.SIGINT)
    err = interrupted.communicate(timeout=60)[1]
    assert interrupted.returncode == 130
    assert f"build failed: the published warehouse {published} is unchanged" in err
    # (dbt's multiprocessing resource tracker may still warn of leaked semaphores as it stops)
    assert "\ninterrupted\n" in err and "Traceback" not in err

    killed = _kam_build(demo_raw, published, FULL="1")
    _stop_during_dbt(killed, work, signal.SIGKILL)
    killed.wait(timeout=30)
    assert file_digest(published) == before
    assert query(published, "select count(*) > 0 from customer_value_monthly") == [(True,)]
    # the killed build's lock went with it, and its half-written working copy is not used
    assert build.build(demo_raw, published, scale=0, seed=0, dbt_args=[], validate=False,
                       keep_working_copy=False, wait=False) == "incremental"
    assert differing_tables(demo_warehouse, published) == {}


@pytest.fixture
def small_disk(tmp_path):
    """A file system of 64 MB mounted for the test (needs root, as CI and make test have)."""
    mount = tmp_path / "small_disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_disk_filling_up_during_the_build_says_so_and_keeps_the_published_warehouse(
        demo_raw, demo_warehouse, small_disk):
    published = small_disk / "kam.duckdb"
    shutil.copy(demo_warehouse, published)
    # what is left after the published file: too little for a full build beside it
    ballast = small_disk / "ballast"
    room = shutil.disk_usage(small_disk).free - demo_warehouse.stat().st_size // 2
    ballast.write_bytes(b"\0" * max(room, 0))
    before = file_digest(published)
    with pytest.raises(build.BuildError, match="the disk is full: free some space"):
        build.build(demo_raw, published, scale=0, seed=0, dbt_args=[], validate=False, full=True)
    assert file_digest(published) == before
    assert query(published, "select count(*) > 0 from customer_value_monthly") == [(True,)]
    assert not warehouse.working_path(published).exists()


def test_a_working_copy_held_open_by_another_program_is_named(demo_raw, demo_warehouse, tmp_path):
    published = tmp_path / "kam.duckdb"
    shutil.copy(demo_warehouse, published)
    warehouse.refresh_working_copy(published)  # the copy a build keeps for the next one
    work = warehouse.working_path(published)
    shell = subprocess.Popen([str(Path(sys.executable).with_name("duckdb")), "-csv", str(work)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        shell.stdin.write("select 'opened' as state;\n")
        shell.stdin.flush()
        assert "opened" in [shell.stdout.readline().strip() for _ in range(2)]  # it holds the file
        before = file_digest(published)
        with pytest.raises(warehouse.WarehouseBusy,
                           match=rf"{work} is open in .*duckdb, pid \d+; close it and build again"):
            build_warehouse(demo_raw, published)
        assert file_digest(published) == before
    finally:
        shell.kill()
        shell.wait()


def test_a_missing_raw_folder_is_one_line(tmp_path):
    done = subprocess.run([KAM, "build"], capture_output=True, text=True,
                          env={**os.environ, "RAW_DIR": str(tmp_path / "nowhere"),
                               "WAREHOUSE": str(tmp_path / "kam.duckdb")})
    assert done.returncode == 1
    assert done.stderr.strip() == (f"error: {tmp_path / 'nowhere'}: the raw folder does not exist "
                                   "(RAW_DIR); create it with one folder per entity, or leave "
                                   "RAW_DIR unset for demo data")
    assert not (tmp_path / "nowhere").exists()
