"""`make build`: raw data -> checks -> dbt build -> gate -> publish -> report (beside the copy kept
for the next build), with a clear word at each step."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kam import contract, demo_data, render, validation, warehouse


class BuildError(Exception):
    pass


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
    """Run the venv's dbt in the project folder; raise on failure."""
    cmd = [str(Path(sys.executable).with_name("dbt")), *args]
    result = subprocess.run(cmd, cwd=warehouse.PROJECT_DIR, env=env)
    if result.returncode != 0:
        raise BuildError(f"dbt {args[0]} failed (exit {result.returncode}); see the dbt output above")


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
          keep_working_copy: bool = True) -> str:
    """Build and publish; incremental from the published warehouse unless full (or it cannot
    be). validate=False skips the gate (tests of staging on deliberately bad data only);
    report_dir: render the latest month's report there once published; keep_working_copy:
    copy the published file for the next build meanwhile. Returns the mode used."""
    started = time.monotonic()
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
            phase = time.monotonic()
            dbt(["build", *dbt_args], dbt_env(raw_dir, work))
        else:
            warehouse.discard(target)
            _say(f"full build into {work}")
            phase = time.monotonic()
            dbt(["build", "--full-refresh", *dbt_args], dbt_env(raw_dir, work))
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
    except BaseException:
        warehouse.discard(target)
        kept = f"the published warehouse {target} is unchanged" if target.exists() else \
            f"nothing was published at {target}"
        _say(f"build failed: {kept}")
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
