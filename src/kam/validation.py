"""The Great Expectations gate: validate the built warehouse before it is published.

Suites live as JSON in expectations/gx/expectations/, one per target. Each suite's
``meta.kam`` says what it validates: ``query``, the SQL that produces the rows, and optionally
``batch_by``, a month column to validate in batches of whole months (at most BATCH_ROWS rows a
batch), so memory stays flat as the data grows. GX's SQL datasource fails on DuckDB, so rows
reach GX as pandas dataframes through each suite's checkpoint's validation definition
(committed under expectations/gx/checkpoints/ and validation_definitions/). A failed ``critical`` expectation fails the gate; ``warning``
ones are reported and kept in the results and Data Docs (expectations/gx/uncommitted/).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kam.warehouse import PROJECT_DIR, connect

GX_ROOT = PROJECT_DIR / "expectations"
SUITE_DIR = GX_ROOT / "gx" / "expectations"
RESULTS_DIR = GX_ROOT / "gx" / "uncommitted" / "validations"
DOCS_INDEX = GX_ROOT / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
BATCH_ROWS = int(os.environ.get("KAM_VALIDATION_BATCH_ROWS") or 1_000_000)


def _gx():
    """Great Expectations, imported on first use: the import alone takes seconds, which every
    `kam` command (report, data, sql) would otherwise pay."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # nothing may wait on the network
    import great_expectations
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every dataframe smaller than this (a hash of every row, about 4 s per
    # million rows) only to label its results; the batch labels here say which months they are
    pandas_execution_engine.HASH_THRESHOLD = 0
    return great_expectations


def preload() -> None:
    """Import Great Expectations ahead of validate(), e.g. in a thread while dbt runs."""
    _gx()


@dataclass(frozen=True)
class Finding:
    suite: str
    batch: str
    severity: str
    expectation: str
    observed: str

    def __str__(self) -> str:
        where = "" if self.batch == "all rows" else f" [{self.batch}]"
        return f"suite {self.suite}{where}: {self.expectation}: {self.observed}"


class ValidationFailed(Exception):
    def __init__(self, critical: list[Finding]):
        self.critical = critical
        lines = [f"validation failed: {len(critical)} critical expectation(s) not met"]
        lines += [f"  - {finding}" for finding in critical[:20]]
        if len(critical) > 20:
            lines.append(f"  ... and {len(critical) - 20} more")
        lines.append(f"Data Docs: {DOCS_INDEX}")
        super().__init__("\n".join(lines))


def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITE_DIR.glob("*.json"))


@contextlib.contextmanager
def _one_gate_at_a_time():
    """The GX project is one folder for every warehouse: a gate clears its results, writes new
    ones and renders Data Docs from them, so two gates at once (builds of two warehouses, or two
    test workers) would delete each other's results. The second waits (at test scale a gate
    takes 2 s)."""
    lock = GX_ROOT / "gx" / "uncommitted" / ".gate.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _context():
    context = _gx().get_context(mode="file", project_root_dir=str(GX_ROOT))
    context.variables.progress_bars = {"globally": False}
    return context


def _get_or_add(get, add):
    try:
        return get()
    except (KeyError, LookupError, _gx().exceptions.DataContextError):
        return add()


def _checkpoint(context, name: str):
    """The suite's checkpoint; its GX objects are created the first time a suite appears."""
    source = _get_or_add(lambda: context.data_sources.get("kam"),
                         lambda: context.data_sources.add_pandas("kam"))
    asset = _get_or_add(lambda: source.get_asset(name), lambda: source.add_dataframe_asset(name))
    batches = _get_or_add(lambda: asset.get_batch_definition("dataframe"),
                          lambda: asset.add_batch_definition_whole_dataframe("dataframe"))
    suite = context.suites.get(name)
    if suite.id is None or any(e.id is None for e in suite.expectations):
        # a hand-written suite or expectation: saving gives it ids (commit the result)
        suite = context.suites.add_or_update(suite)
    definition = _get_or_add(
        lambda: context.validation_definitions.get(name),
        lambda: context.validation_definitions.add(
            _gx().ValidationDefinition(name=name, data=batches, suite=suite)))
    return _get_or_add(
        lambda: context.checkpoints.get(name),
        lambda: context.checkpoints.add(_gx().Checkpoint(name=name, validation_definitions=[definition])))


def _columns_used(suite: dict, available: list[str]) -> list[str]:
    """The query's columns the suite reads (its batch column, and its expectations' column,
    column_list and row_condition names), in query order: only these go to pandas, where every
    column costs memory and time."""
    used = {suite["meta"]["kam"].get("batch_by")}
    for expectation in suite["expectations"]:
        kwargs = expectation["kwargs"]
        used.update([kwargs["column"]] if "column" in kwargs else [])
        used.update(kwargs.get("column_list") or [])
        condition = json.dumps(kwargs.get("row_condition"))  # a string or a condition object
        used.update(c for c in available if re.search(rf"\b{re.escape(c)}\b", condition))
    return [c for c in available if c in used]


def _frame(con, query: str, params=None):
    """The rows as a dataframe in the types GX checks fastest. Through Arrow: DuckDB's own
    conversion to pandas spent most of its time on the string columns (a month of the staged
    orders at a million customers, 0.60 s against 0.16 s; without the strings, 0.1 s)."""
    import pyarrow as pa

    # to_arrow_table() exists in duckdb 1.5 and 2.0; con.sql(query, params=...) would be 40x
    # slower in 1.5.6 (a month of the staged orders at 1M customers, 10.8 s against 0.26 s)
    table = con.execute(query, params).to_arrow_table()
    columns = []
    for field, column in zip(table.schema, table.columns):
        # GX vectorises its range checks for numpy int64 and float64 only (value by value in
        # Python otherwise, 0.8 s a column per million rows): integers go as int64 (float64
        # where a value is null, exact below 2**53) and decimals as float64, as pandas does
        if pa.types.is_integer(field.type):
            column = column.cast(pa.int64())
        elif pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        elif pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            # likewise dates as datetime64[ns]; dates outside its range (years before 1678 or
            # after 2261) as datetime64[us], which GX compares value by value
            try:
                column = column.cast(pa.timestamp("ns"))
            except pa.ArrowInvalid:
                column = column.cast(pa.timestamp("us"))
        columns.append(column)
    return pa.table(columns, names=table.column_names).to_pandas()


def _batches(con, query: str, batch_by: str | None, months: list[dt.date] | None):
    """(label, dataframe) pairs: whole months grouped up to BATCH_ROWS rows, or all rows."""
    if not batch_by:
        yield "all rows", _frame(con, query)
        return
    # an incremental build counts only its months: the filter reaches the tables (in month
    # order, their zone maps skip the other months), and a query grouped by month computes
    # just those
    where, bounds = ("", None) if months is None else \
        (f" where {batch_by} between ? and ?", [min(months, default=None), max(months, default=None)])
    counts = con.execute(
        f"select {batch_by}, count(*) from ({query}) as q{where} group by 1 order by 1", bounds).fetchall()
    if months is not None:
        wanted = set(months)
        counts = [(m, n) for m, n in counts if m in wanted]
    group: list = []
    size = 0
    for month, n in [*counts, (None, None)]:
        if group and (month is None or size + n > BATCH_ROWS):
            first, last = group[0], group[-1]
            frame = _frame(con, f"select * from ({query}) as q where {batch_by} between ? and ?",
                           [first, last])
            yield f"{batch_by} {first}..{last}", frame
            group, size = [], 0
        if month is not None:
            group.append(month)
            size += n


def _describe(config) -> str:
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id" and v is not None}
    return f"{config.type}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


def _observed(result) -> str:
    info = result.exception_info or {}
    errors = [info] if "raised_exception" in info else list(info.values())
    for error in errors:
        if isinstance(error, dict) and error.get("raised_exception"):
            return f"could not be evaluated: {error.get('exception_message')}"
    res = result.result or {}
    if "observed_value" in res:
        return f"observed {res['observed_value']}"
    if "unexpected_count" in res:
        sample = res.get("partial_unexpected_list") or []
        return f"{res['unexpected_count']} unexpected value(s), e.g. {sample[:3]}"
    return json.dumps(res, default=str)[:200]


def _check(checkpoint, name: str, batched: bool, label: str, frame, parameters: dict) -> list[Finding]:
    """One batch through the suite's checkpoint. A month batch is first checked pass or fail
    only; GX's SUMMARY (observed values and examples, for which it finds each expectation's
    unexpected values and their rows too) only for a batch that fails something. The
    checkpoint's validation definition runs directly: the checkpoint's own result format is
    its stored one."""
    run = checkpoint.validation_definitions[0].run
    arguments = {"checkpoint_id": checkpoint.id, "batch_parameters": {"dataframe": frame},
                 "expectation_parameters": parameters}
    result = run(**arguments, result_format="BOOLEAN_ONLY" if batched else "SUMMARY")
    if batched and not result.success:
        result = run(**arguments, result_format="SUMMARY")
    findings = []
    for outcome in result.results:
        if not outcome.success:
            config = outcome.expectation_config
            severity = getattr(config.severity, "value", str(config.severity))
            findings.append(Finding(name, label, severity, _describe(config), _observed(outcome)))
    return findings


def validate(warehouse: Path, months: list[dt.date] | None = None, quiet: bool = False
             ) -> list[Finding]:
    """Run every suite on the warehouse file; return warnings, raise on critical failures.

    months: validate only these month_end batches of month-batched suites (an incremental
    build validates its new months); summary suites always see the whole table.
    """
    with _one_gate_at_a_time():
        return _validate(warehouse, months, quiet)


def _validate(warehouse: Path, months: list[dt.date] | None, quiet: bool) -> list[Finding]:
    con = connect(warehouse)
    shutil.rmtree(RESULTS_DIR, ignore_errors=True)  # Data Docs show the latest run only
    context = _context()
    findings: list[Finding] = []
    try:
        first_month_start = con.execute("select min(month_start) from int_reporting_months").fetchone()[0]
        # as midnight datetimes: GX reads a plain date string as a date, which pandas will not
        # compare with a datetime64 column
        parameters = {"first_month_start": f"{first_month_start}T00:00:00",
                      "today": f"{dt.date.today()}T00:00:00"}
        plans = []
        for name in suite_names():
            suite = json.loads((SUITE_DIR / f"{name}.json").read_text())
            meta = suite["meta"]["kam"]
            available = [row[0] for row in con.execute(f"describe {meta['query']}").fetchall()]
            columns = ", ".join(f'"{c}"' for c in _columns_used(suite, available))
            plans.append((name, _checkpoint(context, name), meta.get("batch_by"),
                          f"select {columns} from ({meta['query']}) as q"))

        def all_batches():
            cursor = con.cursor()  # its own connection: used from the prefetching thread
            for plan in plans:
                _, _, batch_by, query = plan
                for label, frame in _batches(cursor, query, batch_by, months):
                    yield plan, label, frame
                yield plan, None, None  # the suite's end

        started, n_batches = time.monotonic(), 0
        # the next batch is read (DuckDB, Arrow, pandas: mostly outside the GIL) while GX checks
        # this one
        with ThreadPoolExecutor(max_workers=1) as reader:
            batches = all_batches()
            pending = reader.submit(next, batches, None)
            while (item := pending.result()) is not None:
                pending = reader.submit(next, batches, None)
                (name, checkpoint, batch_by, _), label, frame = item
                if label is None:
                    if not quiet:
                        print(f"[kam] validated {name} ({n_batches} batch{'es' * (n_batches != 1)}, "
                              f"{time.monotonic() - started:.1f} s)", file=sys.stderr, flush=True)
                    started, n_batches = time.monotonic(), 0
                    continue
                n_batches += 1
                findings += _check(checkpoint, name, bool(batch_by), label, frame, parameters)
    finally:
        con.close()
    context.build_data_docs()
    critical = [f for f in findings if f.severity == "critical"]
    if critical:
        raise ValidationFailed(critical)
    return findings


def build_docs() -> None:
    with _one_gate_at_a_time():
        _context().build_data_docs()
