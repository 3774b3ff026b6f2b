"""Incremental builds: a new month of raw data rebuilds that month only, a change to old raw
rows rebuilds from their month on, and either way the warehouse equals a full rebuild's, row
for row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kam import build, demo_data, warehouse
from conftest import LAST_MONTH, differing_tables, query, table_differences

FIRST_LOAD_MONTH = dt.date(LAST_MONTH.year, LAST_MONTH.month - 1, 1)
NEW_MONTH_END = dt.date(2026, 10, 31)


def _build(raw, target, full=False, validate=False):
    return build.build(raw, target, scale=0, seed=0, dbt_args=[], validate=validate, full=full)


def _digests(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    """Build the first load, append a month, build incrementally; the same raw data built in full."""
    root = tmp_path_factory.mktemp("incremental")
    raw = root / "raw"
    demo_data.generate(raw, root / "truth", 400, seed=11, last_month=FIRST_LOAD_MONTH, progress=False)
    incremental = root / "incremental" / "kam.duckdb"
    assert _build(raw, incremental) == "full"  # nothing published yet
    before = _digests(raw)
    month, _ = demo_data.append_month(raw, root / "truth", progress=False)
    modes = {"append": _build(raw, incremental, validate=True)}
    info = query(incremental, "select n_months_rebuilt, first_month_rebuilt from kam_build_info")[0]
    run_results = warehouse.dbt_target_path(incremental) / "run_results.json"
    unit_tests = [r for r in json.loads(run_results.read_text())["results"]
                  if r["unique_id"].startswith("unit_test.")]
    modes["full"] = _build(raw, root / "full" / "kam.duckdb", full=True)
    return {"root": root, "raw": raw, "month": month, "before": before, "after": _digests(raw),
            "incremental": incremental, "full": root / "full" / "kam.duckdb", "modes": modes,
            "info": info, "unit_tests": unit_tests}


def test_appending_a_month_writes_new_files_only(loads):
    before, after = loads["before"], loads["after"]
    assert loads["month"] == "2026-10"
    assert all(after[path] == digest for path, digest in before.items() if path.suffix != ".json")
    new = [path for path in after if path not in before]
    assert new and all(path.parent.name == "2026-10" for path in new)
    orders = pd.concat(pd.read_csv(p) for p in new if p.parent.parent.name == "orders")
    assert pd.to_datetime(orders.order_date).dt.strftime("%Y-%m").eq("2026-10").all()


def test_a_new_month_rebuilds_that_month_only(loads):
    assert loads["modes"] == {"append": "incremental", "full": "full"}
    # and the incremental build ran the unit tests of the marts' incremental branches
    assert {(r["unique_id"].rsplit(".", 1)[-1], r["status"]) for r in loads["unit_tests"]} >= {
        ("churn_continues_from_the_stored_month", "pass"),
        ("tier_change_continues_from_the_stored_month", "pass")}
    assert loads["info"] == (1, NEW_MONTH_END)
    assert query(loads["incremental"], "select max(month_end) from customer_value_monthly")[0][0] == NEW_MONTH_END


def test_incremental_build_equals_full_rebuild_row_for_row(loads):
    differences = table_differences(loads["incremental"], loads["full"])
    assert "customer_churn_monthly" in differences and "clv_model_params" in differences
    assert {t: d for t, d in differences.items() if d != (0, 0)} == {}
    # the data holds the case fct_contacts' lookback is for: a September complaint answered by
    # an October contact within the week, which the first load counted as not followed up
    [(n,)] = query(loads["incremental"], """
        select count(*) from fct_contacts as complaint
        where complaint.is_complaint and complaint.is_followed_up_in_time
            and complaint.contact_month_end = date '2026-09-30'
            and not exists (
                select 1 from fct_contacts as answer
                where answer.customer_id = complaint.customer_id
                    and answer.contact_date <= date '2026-09-30'
                    and (answer.contacted_at, answer.contact_id) > (complaint.contacted_at, complaint.contact_id))""")
    assert n > 0


def test_key_tests_after_an_incremental_build_check_the_rebuilt_rows_against_all(loads, tmp_path):
    # the incremental build's key tests look up only the rebuilt rows' keys: a rebuilt row that
    # repeats a kept row's key, a rebuilt month's duplicate customer month, or a rebuilt row of a
    # customer not in dim_customers (a fact and a customer month) still fails them; the
    # accepted values are checked in the rebuilt month (a bad status there fails) and not in the
    # months kept (a bad churn type in May, written after that month was checked, is not read)
    copy = tmp_path / "kam.duckdb"
    shutil.copyfile(loads["incremental"], copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("""insert into fct_orders select * replace (date '2026-10-15' as order_date)
                       from fct_orders where order_date < date '2026-09-01' limit 1""")
        con.execute("""insert into fct_orders select * replace ('O-NOBODY' as order_id, 'C-NOBODY' as customer_id)
                       from fct_orders where order_date > date '2026-10-01' limit 1""")
        con.execute("""insert into customer_tier_monthly select * from customer_tier_monthly
                       where month_end = date '2026-10-31' limit 1""")
        con.execute("""insert into customer_value_monthly select * replace ('C-NOBODY' as customer_id)
                       from customer_value_monthly where month_end = date '2026-10-31' limit 1""")
        con.execute("""insert into customer_churn_monthly select * replace ('bogus' as status)
                       from customer_churn_monthly where month_end = date '2026-10-31' limit 1""")
        con.execute("""insert into customer_churn_monthly select * replace ('bogus' as churn_type)
                       from customer_churn_monthly where month_end = date '2026-05-31' limit 1""")
    finally:
        con.close()
    env = {**build.dbt_env(loads["raw"], copy), "DBT_TARGET_PATH": str(tmp_path / "target")}
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "test", "--select",
                    "fct_orders,test_name:unique_fact_key customer_tier_monthly,test_name:unique_combination "
                    "fct_orders,test_name:relationships_rebuilt customer_value_monthly,test_name:relationships_rebuilt "
                    "customer_churn_monthly,test_name:accepted_values_rebuilt"],
                   cwd=warehouse.PROJECT_DIR, env=env, stdout=subprocess.DEVNULL)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert sorted((r["unique_id"].split(".")[2].split("_")[:2], r["status"], r["failures"]) for r in results) == [
        (["accepted", "values"], "fail", 1), (["accepted", "values"], "pass", 0),
        (["relationships", "rebuilt"], "fail", 1), (["relationships", "rebuilt"], "fail", 1),
        (["unique", "combination"], "fail", 1), (["unique", "fact"], "fail", 1)]


def test_changed_old_rows_rebuild_from_their_month_and_still_equal_a_full_rebuild(loads):
    raw, root = loads["raw"], loads["root"]
    # a source system resends an April invoice with a corrected revenue and a payment date in
    # February (wrong, but kept): February's receivables change, so the build starts there
    path = next((raw / "orders" / "2026-04").glob("*.csv"))
    orders = pd.read_csv(path, dtype=str, keep_default_na=False)
    invoice = orders.index[(orders.status == "completed") & (orders.due_date != "")][0]
    orders.loc[invoice, "revenue"] = str(round(float(orders.loc[invoice, "revenue"]) + 1000, 2))
    orders.loc[invoice, "paid_date"] = "2026-02-20"
    orders.to_csv(path, index=False)

    assert _build(raw, loads["incremental"]) == "incremental"
    assert query(loads["incremental"], "select first_month_rebuilt from kam_build_info")[0][0] == \
        dt.date(2026, 2, 28)
    full = _build(raw, root / "full-after-change" / "kam.duckdb", full=True)
    assert full == "full"
    assert differing_tables(loads["incremental"], root / "full-after-change" / "kam.duckdb") == {}
    # and the change is there
    assert table_differences(loads["full"], root / "full-after-change" / "kam.duckdb")["fct_orders"] == (1, 1)


def test_a_rebuild_longer_than_the_trailing_windows_still_equals_a_full_rebuild(loads):
    # a correction 20 months back: the months rebuilt outlast the 12-month window, so the value
    # leaving a rebuilt month's trailing sums comes from an earlier month rebuilt, not a stored one
    raw, root = loads["raw"], loads["root"]
    path = next((raw / "orders" / "2025-03").glob("*.csv"))
    orders = pd.read_csv(path, dtype=str, keep_default_na=False)
    completed = orders.index[orders.status == "completed"][:3]
    orders.loc[completed, "revenue"] = [str(round(float(v) + 500, 2)) for v in orders.loc[completed, "revenue"]]
    orders.to_csv(path, index=False)

    assert _build(raw, loads["incremental"]) == "incremental"
    assert query(loads["incremental"], "select first_month_rebuilt, n_months_rebuilt from kam_build_info")[0] == \
        (dt.date(2025, 3, 31), 20)
    assert _build(raw, root / "full-long" / "kam.duckdb", full=True) == "full"
    assert differing_tables(loads["incremental"], root / "full-long" / "kam.duckdb") == {}


def test_a_customer_arriving_after_its_contacts_rebuilds_from_their_month(loads):
    raw, root = loads["raw"], loads["root"]
    # a June visit to an account the CRM exports only later: quarantined as an unknown customer
    (raw / "contacts" / "2026-10" / "zz-late.csv").write_text(
        "contact_id,customer_id,contact_date,channel,account_manager,contact_person\n"
        "K-LATE,C-LATE,2026-06-10 10:00:00,visit,Li Wei,Zhou Min\n")
    assert _build(raw, loads["incremental"]) == "incremental"
    assert query(loads["incremental"], "select count(*) from fct_contacts where customer_id = 'C-LATE'") == [(0,)]
    # the account arrives, created in October: its June contact is staged now
    (raw / "customers" / "2026-10" / "zz-late.csv").write_text(
        "customer_id,customer_name,industry,region,city,channel,account_manager,created_date\n"
        "C-LATE,Late Ltd,logistics,central,Changsha,retail,Li Wei,2026-10-15\n")
    assert _build(raw, loads["incremental"]) == "incremental"
    assert query(loads["incremental"], "select first_month_rebuilt from kam_build_info")[0][0] == \
        dt.date(2026, 6, 30)
    assert query(loads["incremental"], "select contact_id from fct_contacts where customer_id = 'C-LATE'") == \
        [("K-LATE",)]
    assert _build(raw, root / "full-late" / "kam.duckdb", full=True) == "full"
    assert differing_tables(loads["incremental"], root / "full-late" / "kam.duckdb") == {}


def test_a_raw_file_withdrawn_takes_its_rows_out_of_every_table(loads):
    # landed_raw__customer_ids adds up only the rows a build landed while no entity was read
    # again in full; a file gone makes landing read its entity again, and the ids seen only
    # in that file must go too, as in a full rebuild
    raw, root = loads["raw"], loads["root"]
    withdrawn = raw / "contacts" / "2026-10" / "zz-withdrawn.csv"
    withdrawn.write_text(
        "contact_id,customer_id,contact_date,channel,account_manager,contact_person\n"
        "K-GONE,C-GONE,2026-07-03 09:00:00,call,Li Wei,Zhou Min\n")
    first_dates = "select first_date from landed_raw__customer_ids where customer_id = 'C-GONE'"
    assert _build(raw, loads["incremental"]) == "incremental"
    assert query(loads["incremental"], first_dates) == [(dt.date(2026, 7, 3),)]
    withdrawn.unlink()
    assert _build(raw, loads["incremental"]) == "incremental"
    assert query(loads["incremental"], first_dates) == []
    assert _build(raw, root / "full-withdrawn" / "kam.duckdb", full=True) == "full"
    assert differing_tables(loads["incremental"], root / "full-withdrawn" / "kam.duckdb") == {}


def test_changed_models_or_settings_mean_a_full_refresh(loads):
    same = build.signature([])
    assert build._mode(loads["incremental"], False, same) == "incremental"
    assert build._mode(loads["incremental"], True, same) == "full"
    changed = build.signature(["--vars", "{cost_to_serve_12m: 150}"])
    assert changed != same
    assert build._mode(loads["incremental"], False, changed) == "full"
    assert build._mode(loads["root"] / "nothing.duckdb", False, same) == "full"
    assert warehouse.build_info(loads["root"] / "nothing.duckdb") is None


def test_the_next_build_starts_from_the_kept_copy_only_while_it_matches_the_published_file(
        loads, tmp_path, monkeypatch):
    target = tmp_path / "kam.duckdb"
    shutil.copyfile(loads["incremental"], target)
    assert not warehouse.working_copy_is_current(target)  # no copy kept beside this file
    warehouse.refresh_working_copy(target)  # what a build does after publishing
    assert warehouse.working_copy_is_current(target)
    copies = []
    copy_file = warehouse.copy_file
    monkeypatch.setattr(warehouse, "copy_file", lambda *paths: (copies.append(paths), copy_file(*paths)))

    # writing the published file (here: deleting the latest month) makes the kept copy stale, so
    # the build copies the published file again; the raw data did not change, nothing is
    # rebuilt and the month stays deleted, which it would not if the kept copy had been used
    con = duckdb.connect(str(target))
    con.execute("delete from customer_value_monthly where month_end = ?", [NEW_MONTH_END])
    con.close()
    assert not warehouse.working_copy_is_current(target)
    assert _build(loads["raw"], target) == "incremental"
    work = warehouse.working_path(target)
    assert copies == [(target, work), (target, work)]  # before the build, and kept after it
    assert query(target, "select n_months_rebuilt from kam_build_info") == [(0,)]
    count = f"select count(*) from customer_value_monthly where month_end = date '{NEW_MONTH_END}'"
    assert query(target, count) == [(0,)]

    # untouched, the next build uses the copy kept from the last one
    copies.clear()
    assert warehouse.working_copy_is_current(target)
    assert _build(loads["raw"], target) == "incremental"
    assert copies == [(target, work)]  # only the copy kept for the build after
    assert query(target, count) == [(0,)]
    assert warehouse.working_copy_is_current(target)
