"""The gate and safe publishing: nothing half-built or unvalidated reaches a reader."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse, file_digest, query
from kam import build, report, validation, warehouse
from rawfiles import write_raw


@pytest.fixture
def copy_of(demo_warehouse, tmp_path):
    """A writable copy of the demo warehouse, to break on purpose."""
    def make(name="kam.duckdb") -> Path:
        target = tmp_path / name
        shutil.copy(demo_warehouse, target)
        return target
    return make


def _break(path: Path, sql: str) -> None:
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()


def _gate_failure(copy_of, sql: str) -> str:
    """The gate's message on a copy of the demo warehouse broken by sql."""
    broken = copy_of()
    _break(broken, sql)
    with pytest.raises(validation.ValidationFailed) as failure:
        validation.validate(broken, quiet=True)
    return str(failure.value)


def test_injected_bad_mart_value_fails_with_suite_expectation_and_value(copy_of):
    message = _gate_failure(copy_of, """update customer_value_monthly set cumulative_profit_share = 1.5
        where profit_rank = 1 and month_end = (select max(month_end) from customer_value_monthly)""")
    assert "suite mart_customer_value_monthly" in message
    assert "expect_column_values_to_be_between(column=cumulative_profit_share, min_value=0.0, max_value=1.0)" in message
    assert "1 unexpected value(s), e.g. [1.5]" in message
    assert f"Data Docs: {validation.DOCS_INDEX}" in message
    assert validation.DOCS_INDEX.exists()


def test_the_gate_checks_every_month_batch(copy_of, monkeypatch, capsys):
    # batches of about a year of the demo's months: a defect in the first month and one in the
    # last are both found, each in its own batch (the next batch is read while one is checked)
    monkeypatch.setattr(validation, "BATCH_ROWS", 5000)
    broken = copy_of()
    [(first, last)] = query(broken, "select min(month_end), max(month_end) from customer_value_monthly where profit_rank = 1")
    _break(broken, f"""update customer_value_monthly set cumulative_profit_share = 1.5
        where profit_rank = 1 and month_end in (date '{first}', date '{last}')""")
    with pytest.raises(validation.ValidationFailed) as failure:
        validation.validate(broken)
    batches = [f.batch for f in failure.value.critical if f.suite == "mart_customer_value_monthly"]
    assert len(batches) == 2
    assert batches[0].startswith(f"month_end {first}..") and batches[1].endswith(f"..{last}")
    n_batches = int(re.search(r"validated mart_customer_value_monthly \((\d+) batches", capsys.readouterr().err)[1])
    assert n_batches >= 3


def test_a_staged_order_dated_after_today_fails_the_staged_suite(copy_of):
    # the date check runs on a datetime64 column against a date parameter: one row, found
    message = _gate_failure(copy_of, """update fct_orders set order_date = current_date + 400
        where order_id = (select min(order_id) from fct_orders)""")
    assert "suite staged_orders [month_end " in message
    assert "expect_column_values_to_be_between(column=order_date" in message
    assert "1 unexpected value(s)" in message


def test_a_staged_row_lost_before_its_fact_table_fails_the_raw_count(copy_of):
    message = _gate_failure(copy_of, "delete from fct_contacts where contact_id = (select min(contact_id) from fct_contacts)")
    assert "suite raw_entities" in message
    assert "column=n_unaccounted_rows" in message
    assert "1 unexpected value(s), e.g. [1]" in message


def test_reconciliation_catches_a_broken_join(copy_of):
    # what an inner join to a customer table missing one buyer would do to the mart
    message = _gate_failure(copy_of, """delete from customer_value_monthly where customer_id =
        (select min(customer_id) from customer_value_monthly where revenue > 0)""")
    assert "suite reconciliation" in message
    assert "column=revenue_difference" in message


def test_failed_build_keeps_the_published_warehouse(demo_raw, copy_of):
    published = copy_of()
    before = file_digest(published)
    with pytest.raises(build.BuildError):
        build_warehouse(demo_raw, published, "--vars", "{key_account_list: weekly}")
    assert file_digest(published) == before
    assert not warehouse.working_path(published).exists()


def test_a_disk_too_full_for_the_working_copy_stops_the_build_before_dbt(demo_raw, copy_of, monkeypatch):
    published = copy_of()
    before = file_digest(published)
    monkeypatch.setattr(warehouse.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12 - 1000, 1000))
    size = f"{published.stat().st_size / 1e6:,.0f} MB"
    with pytest.raises(build.BuildError, match=rf"could not copy the published warehouse .* copying "
                       rf"{re.escape(str(published))} \({size}\) needs more disk: 0 MB free in "):
        build_warehouse(demo_raw, published)
    assert file_digest(published) == before
    assert not warehouse.working_path(published).exists()


def test_gate_stops_a_build_over_the_quarantine_ceiling(tmp_path, copy_of):
    published = copy_of()
    before = file_digest(published)
    raw = write_raw(tmp_path / "raw")  # most of these rows are bad on purpose
    with pytest.raises(validation.ValidationFailed, match=r"suite raw_entities: .*column=quarantined_share"):
        build_warehouse(raw, published)
    assert file_digest(published) == before
    # a failed build leaves no working copy behind (only the build lock and dbt's target folder)
    assert {p.name for p in published.parent.glob(f".{published.name}*")} == {
        warehouse.lock_path(published).name, warehouse.dbt_target_path(published).name}


def test_reader_during_a_build_sees_the_previous_warehouse(demo_raw, copy_of):
    published = copy_of()
    [(old_rows,)] = query(published, "select count(*) from customer_value_monthly")
    _break(published, "delete from customer_value_monthly where month_end = (select max(month_end) from customer_value_monthly)")
    [(marked_rows,)] = query(published, "select count(*) from customer_value_monthly")
    assert marked_rows < old_rows

    # a full build: an incremental one would keep the tampered months (the raw data did not
    # change); and no copy kept after it
    env = {**os.environ, "RAW_DIR": str(demo_raw), "WAREHOUSE": str(published), "FULL": "1",
           "KEEP_WORKING_COPY": "0"}
    builder = subprocess.Popen([str(Path(sys.executable).with_name("kam")), "build"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    work = warehouse.working_path(published)
    deadline = time.monotonic() + 120
    while not work.exists() and builder.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert work.exists(), "the build should be writing its working copy"
    # mid-build: the reader opens the published file read-only and sees the old, complete data
    during = query(published, "select count(*) from customer_value_monthly")[0][0]
    assert during == marked_rows
    assert builder.wait(timeout=600) == 0, builder.stderr.read()
    assert query(published, "select count(*) from customer_value_monthly")[0][0] == old_rows
    assert not work.exists()


def test_duckdb_cli_reads_the_published_file(demo_warehouse):
    cli = Path(sys.executable).with_name("duckdb")
    out = subprocess.run([str(cli), "-readonly", str(demo_warehouse), "-csv", "-c",
                          "select count(*) > 0 as ok from customer_tier_monthly"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["ok", "true"]


def test_analyses_compile_and_run(demo_warehouse):
    env = build.dbt_env(Path("data/raw"), demo_warehouse)
    env["DUCKDB_ACCESS_MODE"] = "READ_ONLY"
    build.dbt(["compile", "--select", "resource_type:analysis", "--quiet"], env)
    compiled = sorted((warehouse.PROJECT_DIR / "target/compiled/kam/analyses").glob("*.sql"))
    assert {p.stem for p in compiled} >= {"top_key_accounts_at_risk", "churn_by_industry_this_quarter",
                                          "managers_below_coverage", "quarantine_by_file"}
    con = warehouse.connect(demo_warehouse)
    results = {path.stem: con.execute(path.read_text()).df() for path in compiled}
    # the managers below full coverage are the report's, with the report's coverage rate
    [(latest,)] = con.execute("select max(month_end) from account_coverage_monthly").fetchall()
    by_manager = report.coverage(con, report.check_parameters(con, f"{latest:%Y-%m}"))
    below = by_manager[by_manager.coverage_rate < 1].set_index("account_manager").coverage_rate
    listed = results["managers_below_coverage"].set_index("account_manager").coverage_rate
    assert len(listed) > 0
    assert listed.sort_index().round(12).to_dict() == below.sort_index().round(12).to_dict()
    con.close()


def test_a_build_spills_beside_its_file_wherever_the_warehouse_is(demo_raw, tmp_path):
    # a warehouse outside the project folder: DuckDB creates its spill folder but not the
    # parents, so the default must not name a folder that only a project checkout has
    database = tmp_path / "elsewhere" / ".kam.duckdb.work"
    database.parent.mkdir()
    env = build.dbt_env(demo_raw, database) | {"DUCKDB_MEMORY_LIMIT": "32MB"}
    env.pop("DUCKDB_TEMP_DIR", None)
    # a sort of 4 million rows does not fit in 32MB: it spills or fails
    sorted_past_memory = ("select current_setting('temp_directory') as spill, max(r) as n from "
                          "(select row_number() over (order by random()) as r from range(4000000))")
    shown = subprocess.run([str(Path(sys.executable).with_name("dbt")), "show", "--inline", sorted_past_memory,
                            "--output", "json", "--quiet"], cwd=warehouse.PROJECT_DIR, env=env,
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert json.loads(shown.stdout)["show"] == [{"spill": f"{database}.tmp", "n": 4000000}]
