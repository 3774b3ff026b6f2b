"""Render the monthly report: check parameters, execute the notebook with papermill on the
project's own kernel, and write HTML without code to reports/<YYYY-MM>/."""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kam import report, warehouse

NOTEBOOK = warehouse.PROJECT_DIR / "notebooks" / "kam_monthly_report.ipynb"
KERNEL = "kam"


def ensure_kernel() -> None:
    """Register this venv's Python as the Jupyter kernel `kam` (inside the venv) if missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(kernel_name=KERNEL, display_name="Python (kam)", prefix=sys.prefix)


def latest_month(path: Path) -> str:
    con = report.connect(path)
    try:
        return f"{con.execute('select max(month_end) from customer_value_monthly').fetchone()[0]:%Y-%m}"
    finally:
        con.close()


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def output_path(out_dir: Path, month: str, filters: dict[str, str]) -> Path:
    suffix = "".join(f"_{_slug(k.replace('account_', ''))}-{_slug(v)}" for k, v in filters.items())
    return out_dir / month / f"kam_monthly_report{suffix}.html"


def render(path: Path, month: str | None = None, region: str | None = None,
           account_manager: str | None = None, industry: str | None = None,
           out_dir: Path = Path("reports"), managers_shown: int = 25) -> Path:
    """Render one report; bad parameters raise report.ReportError before anything runs.

    managers_shown: the coverage section lists this many managers, lowest coverage first (a
    million customers have 16,666 managers, more than a chart or a reader can take).
    """
    import papermill
    from nbconvert import HTMLExporter

    path = Path(path).resolve()
    month = month or latest_month(path)
    con = report.connect(path)
    try:
        scope = report.check_parameters(con, month, region, account_manager, industry)
    finally:
        con.close()
    ensure_kernel()
    html_path = output_path(out_dir, month, scope.filters)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    notebook_path = html_path.with_suffix(".ipynb")
    papermill.execute_notebook(
        str(NOTEBOOK), str(notebook_path), kernel_name=KERNEL, progress_bar=False,
        cwd=str(warehouse.PROJECT_DIR), log_output=False,
        parameters={"report_month": month, "warehouse": str(path), "region": region,
                    "account_manager": account_manager, "industry": industry,
                    "managers_shown": managers_shown})
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_filename(str(notebook_path))
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _render_manager(args: tuple[Path, str, str, Path]) -> Path:
    path, month, manager, out_dir = args
    return render(path, month, account_manager=manager, out_dir=out_dir)


def render_per_manager(path: Path, month: str | None = None, out_dir: Path = Path("reports"),
                       workers: int | None = None) -> list[Path]:
    """One report per account manager (their own accounts), rendered in parallel."""
    month = month or latest_month(path)
    con = report.connect(path)
    try:
        report.check_parameters(con, month)
        managers = [r[0] for r in con.execute(
            "select distinct account_manager from dim_customers order by 1").fetchall()]
    finally:
        con.close()
    ensure_kernel()  # once, before the workers race to register it
    workers = workers or max(1, min(len(managers), os.cpu_count() or 1))
    jobs = [(Path(path), month, m, out_dir) for m in managers]
    done = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, html_path in enumerate(pool.map(_render_manager, jobs), start=1):
            print(f"[kam] report {i}/{len(jobs)}: {html_path}", file=sys.stderr, flush=True)
            done.append(html_path)
    return done
