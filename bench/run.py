"""Benchmark of the warehouse at several scales (not a test): `make bench [BENCH_SCALES="..."]`.

For each scale: demo data, then the full build phase by phase (dbt SQL models, model fitting,
validation, report) with wall time and peak memory of each phase's process; one more month of
data appended and the incremental `make build` (build + report) timed against the full one; the
dbt overhead ratio (dbt's run of the SQL models against the same compiled SQL executed directly
in one DuckDB session); and our BG/NBD fit against lifetimes' on the same RFM summary. All
ratios are measured in the same run, side by side. Writes bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from kam import build, clv, demo_data, warehouse

PROJECT = warehouse.PROJECT_DIR
PYTHON_MODELS = ("clv_model_params", "int_customer_months_clv_predicted", "clv_model_holdout")
WORKDIR = PROJECT / "bench" / "work"


def run(cmd: list[str], env: dict | None = None, cwd: Path = PROJECT) -> tuple[float, float]:
    """Wall seconds and peak resident GiB of a child process (which must succeed)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024 / 1024  # ru_maxrss is in KiB on Linux


def model_seconds(artifacts: Path) -> tuple[float, float]:
    """Seconds dbt spent in SQL models and in the Python (fitting) models of the last run."""
    results = json.loads((artifacts / "run_results.json").read_text())["results"]
    sql = fit = 0.0
    for result in results:
        name = result["unique_id"].split(".")[-1]
        if result["unique_id"].startswith("model."):
            if name in PYTHON_MODELS:
                fit += result["execution_time"]
            else:
                sql += result["execution_time"]
    return sql, fit


def direct_sql_seconds(built: Path, workdir: Path, artifacts: Path) -> float:
    """The SQL models' compiled SQL, in dbt's order, in one DuckDB session (no dbt)."""
    manifest = json.loads((artifacts / "manifest.json").read_text())
    nodes = manifest["nodes"]
    # dbt's run order from the last run (the dbt run of the SQL models just before)
    order = [r["unique_id"] for r in json.loads((artifacts / "run_results.json").read_text())["results"]
             if r["unique_id"].startswith("model.")]
    target = workdir / "kam.duckdb"  # the same catalog name the compiled SQL refers to
    con = duckdb.connect(str(target))
    con.execute(f"attach '{built}' as built (read_only)")
    # inputs dbt does not build from SQL: seeds and the Python models' tables (not timed)
    for node in nodes.values():
        if node["resource_type"] == "seed" or node["name"] in PYTHON_MODELS:
            con.execute(f'create table main."{node["name"]}" as select * from built.main."{node["name"]}"')
    con.execute("detach built")
    started = time.monotonic()
    for unique_id in order:
        node = nodes[unique_id]
        if node["name"] in PYTHON_MODELS:
            continue
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        con.execute(f'create or replace {kind} main."{node["name"]}" as {node["compiled_code"]}')
    elapsed = time.monotonic() - started
    con.close()
    return elapsed


def latest_summary(built: Path):
    con = warehouse.connect(built)
    try:
        return con.execute("""
            select frequency, recency_days as recency, age_days as "T" from int_customer_months_rfm
            where month_end = (select max(month_end) from int_customer_months_rfm)""").df()
    finally:
        con.close()


def fit_comparison(summary) -> dict:
    """Our aggregated BG/NBD fit against lifetimes' on the same RFM summary (lifetimes without
    a penalizer, like ours; when it does not converge that is the result)."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import ConvergenceError

    started = time.monotonic()
    ours = clv.fit_bgnbd(clv.aggregate(summary, ["frequency", "recency", "T"]))
    ours_seconds = time.monotonic() - started
    started = time.monotonic()
    try:
        theirs = BetaGeoFitter().fit(summary.frequency, summary.recency, summary["T"])
        diff = max(abs(ours.params[k] - theirs.params_[k]) / abs(theirs.params_[k]) for k in clv.BGNBD)
    except ConvergenceError:
        diff = None
    theirs_seconds = time.monotonic() - started
    return {"customers": len(summary), "distinct_rows": len(clv.aggregate(summary, ["frequency", "recency", "T"])),
            "ours_converged": ours.converged, "lifetimes_converged": diff is not None,
            "ours_s": ours_seconds, "lifetimes_s": theirs_seconds,
            "speedup": theirs_seconds / ours_seconds, "max_rel_param_diff": diff}


def bench_scale(scale: int, root: Path) -> dict:
    raw, wh = root / f"raw_{scale}", root / f"wh_{scale}" / "kam.duckdb"
    wh.parent.mkdir(parents=True)
    kam = str(Path(sys.executable).with_name("kam"))
    # the data ends a month before the last complete one, which is then appended
    last = demo_data.default_last_month().replace(day=1) - dt.timedelta(days=1)
    print(f"[bench] {scale:,} customers: generating data", file=sys.stderr, flush=True)
    data_s, data_gib = run([kam, "data", "--scale", str(scale), "--raw-dir", str(raw), "--last-month",
                            last.isoformat(), "--truth-dir", str(root / f"truth_{scale}")])
    work = warehouse.working_path(wh)
    # dbt runs as `kam build` runs it: the working copy, the warehouse's own dbt target folder
    env, artifacts = build.build_env(raw, wh), warehouse.dbt_target_path(wh)
    print("[bench] dbt build", file=sys.stderr, flush=True)
    dbt_s, dbt_gib = run([str(Path(sys.executable).with_name("dbt")), "build", "--quiet"], env)
    sql_s, fit_s = model_seconds(artifacts)
    print("[bench] validation", file=sys.stderr, flush=True)
    val_s, val_gib = run([sys.executable, "-c", "import sys; from pathlib import Path; "
                          "from kam import validation; validation.validate(Path(sys.argv[1]), quiet=True)",
                          str(work)])
    # recorded as `kam build` does, so that the incremental build below continues from it
    warehouse.record_build(work, build.signature([]), "full", warehouse.months_rebuilt(work))
    warehouse.publish(wh)
    print("[bench] dbt run of the SQL models, then the same SQL direct", file=sys.stderr, flush=True)
    # on a copy at the working copy's path, as `kam build` runs dbt: the same profile as the
    # dbt build above, so dbt parses partially as it does on every build after the first
    # (another path would change the profile and cost a full parse)
    shutil.copy(wh, work)
    # full refresh: the compiled SQL is then the full build's, which runs as is below
    sql_wall_s, _ = run([str(Path(sys.executable).with_name("dbt")), "run", "--quiet", "--full-refresh",
                         "--exclude", *PYTHON_MODELS], env)
    warehouse.discard(wh)
    with tempfile.TemporaryDirectory(dir=root) as workdir:
        direct_s = direct_sql_seconds(wh, Path(workdir), artifacts)
    print("[bench] report, and the copy for the next build beside it", file=sys.stderr, flush=True)
    rep_s, rep_gib = run([sys.executable, "-c", "import sys; from pathlib import Path; from kam import build; "
                          "build.after_publishing(Path(sys.argv[1]), Path(sys.argv[2]), True)",
                          str(wh), str(root / "reports")])
    con = warehouse.connect(wh)
    orders = con.execute("select count(*) from stg_raw__orders").fetchone()[0]
    con.close()
    print("[bench] one more month, incremental build and report", file=sys.stderr, flush=True)
    append_s, _ = run([kam, "data", "--append-month", "--raw-dir", str(raw), "--truth-dir", str(root / f"truth_{scale}")])
    inc_s, inc_gib = run([kam, "build", "--report"], {**env, "WAREHOUSE": str(wh)}, cwd=root)  # the report into root/reports
    if warehouse.build_info(wh)["mode"] != "incremental":
        raise SystemExit("the build after appending a month was not incremental")
    return {
        "scale": scale, "orders": orders, "data_s": data_s, "data_gib": data_gib,
        "dbt_s": dbt_s, "dbt_gib": dbt_gib, "sql_models_s": sql_s, "fit_models_s": fit_s,
        "validation_s": val_s, "validation_gib": val_gib, "report_s": rep_s, "report_gib": rep_gib,
        "full_build_s": dbt_s + val_s + rep_s, "peak_gib": max(dbt_gib, val_gib, rep_gib),
        "dbt_sql_run_s": sql_wall_s, "direct_sql_s": direct_s,
        "dbt_overhead": sql_wall_s / direct_s if direct_s else float("nan"),
        "fit": fit_comparison(latest_summary(wh)),
        "append_s": append_s, "incremental_s": inc_s, "incremental_gib": inc_gib,
        "incremental_ratio": inc_s / (dbt_s + val_s + rep_s),
    }


def fit_cells(fit: dict) -> str:
    ours = f"{fit['ours_s']:.3f} s" + ("" if fit["ours_converged"] else " (not converged)")
    if not fit["lifetimes_converged"]:
        return f"{ours} / lifetimes did not converge (gave up after {fit['lifetimes_s']:.2f} s) | -"
    return (f"{ours} / {fit['lifetimes_s']:.2f} s ({fit['speedup']:.0f}x) | "
            f"{fit['max_rel_param_diff']:.1e}")


def markdown(results: list[dict], million: dict, source_scale: int) -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    lines = [
        "# Benchmark results", "",
        f"Machine: {os.cpu_count()} cores, {memory:.1f} GiB memory, {platform.platform()}; "
        f"measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench`.", "",
        "| customers | orders | full build s | dbt build s (SQL models s / model fitting s) | validation s | report (beside the copy for the next build) s | peak GiB | one new month: `kam build --report` s (of full) | dbt overhead (`dbt run` of the SQL models / same SQL direct, wall) | BG/NBD fit: ours s / lifetimes s (speed-up) | max rel. param diff |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f = r["fit"]
        lines.append(
            f"| {r['scale']:,} | {r['orders']:,} | {r['full_build_s']:.0f} | {r['dbt_s']:.0f} "
            f"({r['sql_models_s']:.0f} / {r['fit_models_s']:.0f}) | {r['validation_s']:.0f} | "
            f"{r['report_s']:.0f} | {r['peak_gib']:.2f} | {r['incremental_s']:.0f} "
            f"({100 * r['incremental_ratio']:.0f}%) | {r['dbt_overhead']:.2f}x "
            f"({r['dbt_sql_run_s']:.1f} s / {r['direct_sql_s']:.1f} s) | {fit_cells(f)} |")
    lines += ["", f"BG/NBD fit on a 1,000,000-customer RFM summary (the {source_scale:,}-customer "
              f"scale's latest summary resampled with replacement; {million['distinct_rows']:,} "
              f"distinct rows): ours / lifetimes, speed-up | max relative parameter difference: "
              f"{fit_cells(million)}."]
    lines += ["", "Demo data generation (not part of the build): " + ", ".join(
        f"{r['scale']:,} customers {r['data_s']:.0f} s, peak {r['data_gib']:.2f} GiB" for r in results) + ".",
        "", "The full build is dbt build (SQL models, Python model fitting, data and unit tests) + the "
        "Great Expectations gate + the latest report, rendered while the published file is copied "
        "for the next build; each phase is its own process, peak memory is the largest of them. "
        "The incremental build is `kam build --report` after `kam data --append-month` (dbt build "
        "of the months rebuilt in the copy kept by the full build, validation of those months, "
        "publish, then the report beside the next copy). Model times inside dbt build are dbt's own per-model timings (one model at "
        "a time, the default DBT_THREADS=1). The dbt overhead is the wall time of `dbt run` of the SQL models (startup and its "
        "partial parse included, as on every build after the first) on a copy of the warehouse at the build's working-copy path against the same compiled SQL run in one DuckDB session. The fit comparison uses the latest month's RFM "
        "summary: ours aggregated to distinct rows, lifetimes one row per customer."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    results = [bench_scale(scale, args.workdir) for scale in args.scales]
    # a million-customer summary: the largest scale's customers resampled with replacement
    largest = latest_summary(args.workdir / f"wh_{args.scales[-1]}" / "kam.duckdb")
    million = largest.sample(n=1_000_000, replace=True, random_state=0).reset_index(drop=True)
    print("[bench] BG/NBD fit on 1,000,000 customers", file=sys.stderr, flush=True)
    table = markdown(results, fit_comparison(million), args.scales[-1])
    (PROJECT / "bench" / "results.md").write_text(table)
    print(table)
    shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
