"""Command line of the warehouse (the Makefile calls these)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kam import build, contract, demo_data, render, report, validation, warehouse

# sysexits' EX_TEMPFAIL: another build holds the warehouse; the same command works later
EXIT_LOCKED = 75


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default)


def _env_flag(name: str, default: str) -> bool:
    """FULL=1 style switches: unset takes the default, empty or 0 is off."""
    return os.environ.get(name, default) not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="kam", description="Key-account analytics warehouse")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("data", help="generate demo raw data (see `kam data --help`)", add_help=False)
    sub.add_parser("check-raw", help="check the raw files' structure against the contract")
    sub.add_parser("build", help="check raw data, dbt build, validate, publish the warehouse; "
                   "incremental from the published warehouse unless --full (or FULL=1); "
                   "--report renders the latest month's report; waits for another build of the "
                   "same warehouse unless --no-wait (or WAIT=0), which exits with 75 at once; "
                   "other arguments go to dbt build (e.g. --vars '{key_account_list: monthly}')")
    sub.add_parser("validate", help="run the Great Expectations checkpoints on the published warehouse")
    sub.add_parser("docs", help="build dbt docs and the Great Expectations Data Docs")
    for name, text in (("report", "render the monthly report (HTML) for one month and filters"),
                       ("reports", "render one report per account manager, in parallel")):
        p_report = sub.add_parser(name, help=text)
        p_report.add_argument("--month", help="YYYY-MM (default: the latest complete month)")
        if name == "report":
            p_report.add_argument("--region")
            p_report.add_argument("--manager", dest="account_manager")
            p_report.add_argument("--industry")
        p_report.add_argument("--out-dir", type=Path, default=Path("reports"))
    args, rest = parser.parse_known_args(argv)

    raw_dir = _env_path("RAW_DIR", "data/raw")
    target = _env_path("WAREHOUSE", "warehouse/kam.duckdb")
    try:
        if args.command == "data":
            return demo_data.main(rest)
        if rest and args.command != "build":
            parser.error(f"unrecognised arguments: {' '.join(rest)}")
        if args.command == "check-raw":
            for entity, n in contract.check_raw(raw_dir).items():
                print(f"{entity}: {n} file(s) ok")
            return 0
        if args.command == "build":
            build.build(raw_dir, target, int(os.environ.get("SCALE") or 2000),
                        int(os.environ.get("SEED") or 42),
                        [a for a in rest if a not in ("--full", "--report", "--no-wait")],
                        full="--full" in rest or _env_flag("FULL", ""),
                        report_dir=Path("reports") if "--report" in rest else None,
                        keep_working_copy=_env_flag("KEEP_WORKING_COPY", "1"),
                        wait="--no-wait" not in rest and _env_flag("WAIT", "1"))
            return 0
        if args.command == "validate":
            for warning in validation.validate(target):
                print(f"warning: {warning}", file=sys.stderr)
            print(f"validation passed; Data Docs: {validation.DOCS_INDEX}", file=sys.stderr)
            return 0
        if args.command == "docs":
            build.docs(target)
            return 0
        if args.command == "report":
            path = render.render(target, args.month or None, args.region or None,
                                 args.account_manager or None, args.industry or None, args.out_dir)
            print(f"[kam] report: {path}", file=sys.stderr)
            return 0
        if args.command == "reports":
            render.render_per_manager(target, args.month or None, args.out_dir)
            return 0
    except warehouse.BuildLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except KeyboardInterrupt:  # a build says what it left as it stops (build.build)
        print("interrupted", file=sys.stderr)
        return 130
    except (contract.ContractError, build.BuildError, validation.ValidationFailed,
            report.ReportError, warehouse.WarehouseBusy, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
