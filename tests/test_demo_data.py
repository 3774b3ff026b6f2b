"""The demo generator: deterministic, in the contract, and carrying the dynamics to find."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from kam import contract, demo_data
from conftest import LAST_MONTH


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        demo_data.generate(tmp_path / name / "raw", tmp_path / name / "truth", 300, seed,
                           LAST_MONTH, progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_parquet_output_is_deterministic_and_in_contract(tmp_path):
    for name in ("a", "b"):
        demo_data.generate(tmp_path / name / "raw", tmp_path / name / "truth", 300, 5,
                           LAST_MONTH, fmt="parquet", progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    raw = tmp_path / "a" / "raw"
    counts = contract.check_raw(raw)
    # one file per month: the 36 months of orders, customers also in the months before
    assert counts["orders"] == demo_data.N_MONTHS and counts["customers"] > demo_data.N_MONTHS
    for entity, column in demo_data.DATE_COLUMNS.items():
        for path in (raw / entity).rglob("*.parquet"):
            months = pd.read_parquet(path)[column].astype("datetime64[s]").dt.strftime("%Y-%m")
            assert (months == path.parent.name).all(), path
    # columns carry the contract's types, so landing takes them as they are
    orders = pq.read_schema(next((raw / "orders").rglob("*.parquet")))
    assert [str(orders.field(c).type) for c in ("order_date", "revenue", "quantity")] == \
        ["date32[day]", "decimal128(18, 2)", "decimal128(18, 3)"]
    assert str(pq.read_schema(next((raw / "surveys").rglob("*.parquet"))).field("nps_score").type) == "int32"


def test_parquet_and_csv_output_hold_the_same_orders(tmp_path):
    for fmt in ("csv", "parquet"):
        demo_data.generate(tmp_path / fmt / "raw", tmp_path / fmt / "truth", 300, 5,
                           LAST_MONTH, fmt=fmt, progress=False)
    csv_orders = (tmp_path / "csv" / "raw" / "orders").as_posix() + "/**/*.csv"
    parquet_orders = (tmp_path / "parquet" / "raw" / "orders").as_posix() + "/**/*.parquet"
    # CSV carries a few injected bad rows (suffixed ids, one repeated row); the rest match
    [(n_parquet, n_matching)] = duckdb.sql(f"""
        with csv as (select distinct * from read_csv('{csv_orders}', all_varchar = true))
        select count(*), count(csv.order_id) filter (
            where cast(csv.revenue as decimal(18, 2)) = p.revenue
            and cast(csv.quantity as decimal(18, 3)) = p.quantity
            and cast(csv.order_date as date) = p.order_date
            and coalesce(cast(csv.paid_amount as decimal(18, 2)) = p.paid_amount, p.paid_amount is null))
        from read_parquet('{parquet_orders}') as p left join csv on csv.order_id = p.order_id
    """).fetchall()
    assert n_parquet > 1000 and n_matching == n_parquet


def test_demo_data_carries_the_dynamics(demo_raw):
    customers = pd.concat(pd.read_csv(p) for p in sorted((demo_raw / "customers").rglob("*.csv")))
    orders = pd.concat(pd.read_csv(p) for p in sorted((demo_raw / "orders").rglob("*.csv")))
    truth = pd.read_parquet(demo_raw.parent / "truth" / "customer_truth.parquet")
    # every contract column is written, and Chinese names are among the customers
    assert [c.name for c in contract.load_contract()["customers"]] == list(customers.columns)
    assert customers.customer_name.str.contains("有限公司").any()
    assert {"government", "mining_manufacturing", "real_estate"} <= set(customers.industry)

    # value is skewed: the top 20% of accounts carry roughly 80% of positive gross profit
    done = orders[(orders.status == "completed")
                  & (pd.to_datetime(orders.order_date, errors="coerce") >= "2025-11-01")]
    gp = (done.revenue - done.cost).groupby(done.customer_id).sum().clip(lower=0)
    gp = gp.sort_values(ascending=False)
    top_share = gp.iloc[: round(len(gp) * 0.2)].sum() / gp.sum()
    assert 0.65 < top_share < 0.95
    assert (gp == 0).any(), "some accounts should earn no (or negative) gross profit"

    # churn: a real share churns, a share of churners comes back, churn stops orders
    churned = truth[truth.true_churn_month_end.notna()]
    assert 0.15 < len(churned) / len(truth) < 0.6
    assert truth.reactivated_month_end.notna().any()
    gone = churned[churned.reactivated_month_end.isna()]
    last_order = pd.to_datetime(orders.order_date, errors="coerce").groupby(orders.customer_id).max()
    month_start = (pd.to_datetime(gone.true_churn_month_end) - pd.offsets.MonthBegin(1)).values
    after = last_order.reindex(gone.customer_id).values >= month_start
    assert not after.any(), "a churned account ordered after its churn month"
