"""`make build`: raw data -> checks -> dbt build -> gate -> publish -> report (beside the copy kept
for the next build), with a clear word at each step."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from kam import contract, demo_data, render, validation, warehouse


class BuildError(Exception):
    pass


DEFAULT_RAW_DIR = warehouse.PROJECT_DIR / "data" / "raw"


def docs(target: Path) -> None:
    """dbt docs (read-only on the published warehouse) and the GX Data Docs."""
    env = dbt_env(Path(os.environ.get("RAW_DIR") or "data/raw"), target)
    env["DUCKDB_ACCESS_MODE"] = "READ_ONLY"
    dbt(["docs", "generate"], env)
    validation.build_docs()
    _say(f"dbt docs: {warehouse.PROJECT_DIR / 'target' / 'index.html'} (serve with `dbt docs serve`)")
    _say(f"Data Docs: {validation.DOCS_INDEX}")


def _say(message: str) -> None:
    print(f"[kam] {message}", file=sys.stderr, flush=True)


def dbt(args: list[str], env: dict[str, str]) -> None:
    """Run the venv's dbt in the project folder; raise on failure, naming what failed."""
    cmd = [str(Path(sys.executable).with_name("dbt")), *args]
    started = time.time()
    result = subprocess.run(cmd, cwd=warehouse.PROJECT_DIR, env=env)
    if result.returncode != 0:
        target_path = Path(env.get("DBT_TARGET_PATH") or warehouse.PROJECT_DIR / "target")
        failed = failed_nodes(warehouse.PROJECT_DIR / target_path / "run_results.json", since=started)
        summary = "".join(f"\n  {name}: {line}" for name, line in failed) if failed else \
            "; see the dbt output above"
        if any(_is_disk_full(line) for _, line in failed):
            summary += f"\n{DISK_FULL_HINT}"
        raise BuildError(f"dbt {args[0]} failed (exit {result.returncode}){summary}")


def failed_nodes(run_results: Path, since: float) -> list[tuple[str, str]]:
    """(node, first line of its error) for each model, seed or test that errored or failed in
    the dbt run that wrote run_results (none when it was not written since `since`: dbt stopped
    before running anything, e.g. on a compilation error it printed)."""
    try:
        if run_results.stat().st_mtime < since:
            return []
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    return [(_node_name(result["unique_id"]), _first_line(result.get("message")))
            for result in results if result.get("status") in ("error", "fail", "runtime error")]


def _first_line(message: str | None) -> str:
    """The first line of dbt's message that says what went wrong (after its 'Runtime Error in
    model ...' heading, which repeats the node's name)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message or "")  # dbt colours its diffs
    lines = [line.strip() for line in plain.splitlines() if line.strip()]
    said = [line for line in lines if not re.match(r"(Runtime|Database|Compilation) Error in ", line)]
    return (said or lines or ["(no message)"])[0]


def _node_name(unique_id: str) -> str:
    """'model.kam.fct_orders' -> 'model fct_orders'; a data test's name without its hash, a
    unit test's with its model ('unit_test customer_tier_monthly.reference_account...')."""
    kind, _package, *name = unique_id.split(".")
    if kind == "test":
        name = name[:1]
    return f"{kind} {'.'.join(name)}"


DISK_FULL_HINT = "the disk is full: free some space (or set WAREHOUSE to a bigger disk) and build again"


def _is_disk_full(error: BaseException | str) -> bool:
    """An error (or dbt's message) from a write the disk had no room for."""
    return (isinstance(error, OSError) and error.errno == errno.ENOSPC) or \
        "No space left on device" in str(error)


def dbt_env(raw_dir: Path, database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DUCKDB_THREADS", str(os.cpu_count() or 1))
    env.update({
        "RAW_DIR": str(raw_dir.resolve()),
        "DBT_DUCKDB_PATH": str(database.resolve()),
        "DBT_PROFILES_DIR": str(warehouse.PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def build_env(raw_dir: Path, target: Path) -> dict[str, str]:
    """dbt's environment for a build of the warehouse target: it writes the working copy, and
    keeps its own dbt target folder beside the warehouse (run results, compiled SQL, the parse
    cache). dbt parses the project again whenever the profile changes, and the profile names
    the file, so one folder per warehouse keeps its builds' parse cache (4 s a build) and no
    other warehouse's build overwrites its run results."""
    return dbt_env(raw_dir, warehouse.working_path(target)) | {
        "DBT_TARGET_PATH": str(warehouse.dbt_target_path(target).resolve())}


# What the marts are computed by: a change here makes the next build a full refresh, since the
# months kept from the published warehouse would be stale (raw data changes are found per month
# by int_build_months instead).
SIGNATURE_PATHS = ("dbt_project.yml", "models", "macros", "seeds", "src/kam/clv.py")


def signature(dbt_args: list[str]) -> str:
    digest = hashlib.sha256(json.dumps(dbt_args).encode())
    for name in SIGNATURE_PATHS:
        root = warehouse.PROJECT_DIR / name
        for path in sorted([root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())):
            digest.update(path.relative_to(warehouse.PROJECT_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _mode(target: Path, full: bool, build_signature: str) -> str:
    """'incremental' when the published warehouse was built by the same models and settings."""
    if full:
        return "full"
    previous = warehouse.build_info(target)
    if previous is None:
        return "full"
    if previous["signature"] != build_signature:
        _say("models, seeds or settings changed since the published build: full refresh")
        return "full"
    return "incremental"


def build(raw_dir: Path, target: Path, scale: int, seed: int, dbt_args: list[str],
          validate: bool = True, full: bool = False, report_dir: Path | None = None,
          keep_working_copy: bool = True, wait: bool = True) -> str:
    """Build and publish; incremental from the published warehouse unless full (or it cannot
    be). validate=False skips the gate (tests of staging on deliberately bad data only);
    report_dir: render the latest month's report there once published; keep_working_copy:
    copy the published file for the next build meanwhile; wait: whether to wait for another
    build of the same warehouse (else raise warehouse.BuildLocked). Returns the mode used."""
    with warehouse.build_lock(target, wait, _say):
        return _build(raw_dir, target, scale, seed, dbt_args, validate, full, report_dir,
                      keep_working_copy)


def _build(raw_dir: Path, target: Path, scale: int, seed: int, dbt_args: list[str],
           validate: bool, full: bool, report_dir: Path | None, keep_working_copy: bool) -> str:
    started = time.monotonic()
    if not raw_dir.exists() and raw_dir.resolve() != DEFAULT_RAW_DIR:
        raise contract.ContractError(f"{raw_dir}: the raw folder does not exist (RAW_DIR); "
                                     "create it with one folder per entity, or leave RAW_DIR "
                                     "unset for demo data")
    if not contract.has_raw_data(raw_dir):
        _say(f"{raw_dir} is empty: generating demo data ({scale:,} customers, seed {seed})")
        demo_data.generate(raw_dir, raw_dir.parent / "truth", scale, seed)
    files = contract.check_raw(raw_dir)
    _say("raw contract ok: " + ", ".join(f"{e} {n} file{'s' * (n > 1)}" for e, n in files.items()))

    target.parent.mkdir(parents=True, exist_ok=True)
    work = warehouse.working_path(target)
    build_signature = signature(dbt_args)
    mode = _mode(target, full, build_signature)
    if validate:
        # Great Expectations takes seconds to import (2.4 s here); this process only waits
        # while dbt runs, so the gate's import is done meanwhile
        threading.Thread(target=validation.preload, daemon=True).start()
    try:
        if mode == "incremental":
            phase = time.monotonic()
            try:
                copied = warehouse.prepare_working_copy(target)
            except OSError as exc:
                raise BuildError(f"could not copy the published warehouse to {work}: {exc}") from exc
            if copied:
                _say(f"incremental build: copied {target} to {work} in {time.monotonic() - phase:.0f} s")
            else:
                _say(f"incremental build in {work}, the copy of {target} kept from the last build")
            warehouse.check_not_open(work)
            phase = time.monotonic()
            dbt(["build", *dbt_args], build_env(raw_dir, target))
        else:
            warehouse.discard(target)
            _say(f"full build into {work}")
            phase = time.monotonic()
            # the unit tests of the incremental branches read the stored tables' columns
            dbt(["build", "--full-refresh", "--exclude", "tag:needs_stored_rows", *dbt_args],
                build_env(raw_dir, target))
        months = warehouse.months_rebuilt(work)
        _say(f"dbt build took {time.monotonic() - phase:.0f} s; months rebuilt: {_describe_months(months)}")
        if validate:
            _say("validating with Great Expectations" + (" the months rebuilt" if mode == "incremental" else ""))
            phase = time.monotonic()
            for warning in validation.validate(work, months if mode == "incremental" else None):
                _say(f"warning: {warning}")
            _say(f"validation took {time.monotonic() - phase:.0f} s")
        warehouse.record_build(work, build_signature, mode, months)
        warehouse.publish(target)
    except BaseException as exc:
        warehouse.discard(target)
        kept = f"the published warehouse {target} is unchanged" if target.exists() else \
            f"nothing was published at {target}"
        _say(f"build failed: {kept}")
        if isinstance(exc, (duckdb.Error, OSError)) and _is_disk_full(exc):
            raise BuildError(f"{DISK_FULL_HINT} ({_first_line(str(exc))})") from exc
        raise
    _say(f"published {target} ({mode} build) in {time.monotonic() - started:.0f} s")
    after_publishing(target, report_dir, keep_working_copy)
    return mode


def after_publishing(target: Path, report_dir: Path | None, keep_working_copy: bool) -> None:
    """The report and the next build's working copy side by side: the copy is the disk's work,
    the report the processors' (at a million customers 15-20 s and 12-16 s side by side)."""
    def copy() -> float:
        started = time.monotonic()
        warehouse.refresh_working_copy(target)
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=1) as pool:
        copying = pool.submit(copy) if keep_working_copy else None
        try:
            if report_dir is not None:
                started = time.monotonic()
                path = render.render(target, out_dir=report_dir)
                _say(f"report: {path} ({time.monotonic() - started:.0f} s)")
        finally:
            if copying is not None:
                try:
                    _say(f"kept a copy of {target} for the next build ({copying.result():.0f} s)")
                except OSError as exc:  # e.g. a full disk: the next build copies instead
                    warehouse.discard(target)
                    _say(f"warning: no copy kept for the next build ({exc})")


def _describe_months(months: list) -> str:
    if not months:
        return "none (the raw data did not change)"
    if len(months) == 1:
        return f"{months[0]:%Y-%m}"
    return f"{len(months)}, {months[0]:%Y-%m} to {months[-1]:%Y-%m}"
