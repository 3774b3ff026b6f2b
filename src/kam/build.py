"""`make build`: raw data -> checks -> dbt build -> publish, with a clear word at each step."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from kam import contract, demo_data, validation, warehouse


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
    env.update({
        "RAW_DIR": str(raw_dir.resolve()),
        "DBT_DUCKDB_PATH": str(database.resolve()),
        "DBT_PROFILES_DIR": str(warehouse.PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def build(raw_dir: Path, target: Path, scale: int, seed: int, dbt_args: list[str],
          validate: bool = True) -> None:
    """validate=False skips the gate (tests of staging on deliberately bad data only)."""
    started = time.monotonic()
    if not contract.has_raw_data(raw_dir):
        _say(f"{raw_dir} is empty: generating demo data ({scale:,} customers, seed {seed})")
        demo_data.generate(raw_dir, raw_dir.parent / "truth", scale, seed)
    files = contract.check_raw(raw_dir)
    _say("raw contract ok: " + ", ".join(f"{e} {n} file{'s' * (n > 1)}" for e, n in files.items()))

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = warehouse.staging_path(target)
    warehouse.discard(staging)
    try:
        _say(f"dbt build into {staging}")
        dbt(["build", *dbt_args], dbt_env(raw_dir, staging))
        if validate:
            _say("validating with Great Expectations")
            for warning in validation.validate(staging):
                _say(f"warning: {warning}")
        warehouse.publish(staging, target)
    except BaseException:
        warehouse.discard(staging)
        kept = f"the published warehouse {target} is unchanged" if target.exists() else \
            f"nothing was published at {target}"
        _say(f"build failed: {kept}")
        raise
    _say(f"published {target} in {time.monotonic() - started:.0f} s")
