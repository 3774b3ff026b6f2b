"""BG/NBD and Gamma-Gamma: against lifetimes on real CDNOW data, on edge cases, against truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from conftest import build_warehouse, frame, query
from kam import cdnow, clv

CALIBRATION_END = "1997-09-30"



@pytest.fixture(scope="module")
def cdnow_warehouse(tmp_path_factory):
    """The CDNOW sample through the whole pipeline, gate included, ending at the calibration month."""
    root = tmp_path_factory.mktemp("cdnow")
    cdnow.write(root / "raw", "cdnow")
    return build_warehouse(root / "raw", root / "kam.duckdb",
                           "--vars", f"{{as_of_month_end: '{CALIBRATION_END}'}}")


@pytest.fixture(scope="module")
def lifetimes_reference():
    tx = cdnow.transactions("cdnow")
    tx["order_date"] = pd.to_datetime(tx.order_date)
    summary = summary_data_from_transaction_data(
        tx[tx.order_date <= CALIBRATION_END], "customer_id", "order_date",
        monetary_value_col="dollars", observation_period_end=CALIBRATION_END, freq="D")
    bgf = BetaGeoFitter().fit(summary.frequency, summary.recency, summary["T"])
    repeat = summary[summary.frequency > 0]
    ggf = GammaGammaFitter().fit(repeat.frequency, repeat.monetary_value)
    return summary, bgf, ggf


def test_cdnow_rfm_summary_and_p_alive_match_lifetimes(cdnow_warehouse, lifetimes_reference):
    summary, bgf, _ = lifetimes_reference
    ours = frame(cdnow_warehouse, f"""
        select rfm.customer_id, rfm.frequency, rfm.recency_days, rfm.age_days, rfm.monetary_value,
               churn.p_alive
        from int_customer_months_rfm as rfm
        inner join customer_churn_monthly as churn
            on rfm.customer_id = churn.customer_id and rfm.month_end = churn.month_end
        where rfm.month_end = '{CALIBRATION_END}'""").set_index("customer_id").loc[summary.index]
    assert len(ours) == len(summary) == 2357
    assert (ours.frequency.to_numpy() == summary.frequency.to_numpy()).all()
    assert (ours.recency_days.to_numpy() == summary.recency.to_numpy()).all()
    assert (ours.age_days.to_numpy() == summary["T"].to_numpy()).all()
    repeat = summary.frequency > 0
    np.testing.assert_allclose(ours.monetary_value[repeat], summary.monetary_value[repeat], rtol=1e-9)
    expected = bgf.conditional_probability_alive(summary.frequency, summary.recency, summary["T"])
    np.testing.assert_allclose(ours.p_alive.to_numpy(), expected, rtol=1e-3)


def test_cdnow_parameters_match_lifetimes(cdnow_warehouse, lifetimes_reference):
    _, bgf, ggf = lifetimes_reference
    params = frame(cdnow_warehouse, f"""
        select model, parameter, value, converged, n_customers, time_unit from clv_model_params
        where month_end = '{CALIBRATION_END}'""")
    assert params.converged.all() and (params.time_unit == "day").all()
    ours = dict(zip(params.parameter, params.value))
    for name in clv.BGNBD:
        assert ours[name] == pytest.approx(bgf.params_[name], rel=1e-3), name
    for name in clv.GAMMA_GAMMA:
        assert ours[name] == pytest.approx(ggf.params_[name], rel=1e-3), name


def test_clv_matches_lifetimes_customer_lifetime_value(lifetimes_reference):
    """clv() values distinct (x, t_x, T) once and scales by spend; lifetimes sums month by month
    per customer. CDNOW has many customers with the same history, so the shortcut is exercised."""
    summary, bgf, ggf = lifetimes_reference
    assert summary[["frequency", "recency", "T"]].duplicated().sum() > 100
    spend = ggf.conditional_expected_average_profit(summary.frequency, summary.monetary_value).to_numpy()
    monthly_rate = 1.10 ** (1 / 12) - 1
    expected = ggf.customer_lifetime_value(bgf, summary.frequency, summary.recency, summary["T"],
                                           summary.monetary_value, time=12, discount_rate=monthly_rate,
                                           freq="D").to_numpy()
    ours = clv.clv(dict(bgf.params_), spend, summary.frequency, summary.recency, summary["T"],
                   months=12, annual_discount_rate=0.10, days_per_unit=1)
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


def test_cdnow_builds_on_revenue_alone(cdnow_warehouse):
    [(tiers, bands, holdout)] = query(cdnow_warehouse, f"""
        select (select count(distinct tier) from customer_tier_monthly where month_end = '{CALIBRATION_END}'),
               (select count(distinct value_band) from customer_value_monthly where month_end = '{CALIBRATION_END}'),
               (select count(*) from clv_model_holdout)""")
    assert tiers >= 2 and bands >= 2 and holdout >= 1


def test_one_order_customers_are_alive_with_few_expected_orders():
    params = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
    alive = clv.p_alive(params, [0, 0], [0, 0], [10, 300])
    assert (alive == 1).all()  # BG/NBD: dropout happens only after a purchase
    expected = clv.expected_purchases(params, 90, [0, 0], [0, 0], [10, 300])
    assert np.isfinite(expected).all() and expected[0] > expected[1] > 0


def test_all_customers_without_repeats_is_reported_not_crashed():
    summary = pd.DataFrame({"frequency": [0, 0, 0], "recency": [0, 0, 0], "T": [30, 60, 90]})
    fit = clv.fit_bgnbd(summary)
    assert not fit.converged and fit.params == {} and "no customer has a repeat purchase" in fit.message
    spend = clv.fit_gamma_gamma(summary.assign(monetary_value=[0.0, 0.0, 0.0]))
    assert not spend.converged and "fewer than 2 customers" in spend.message


def test_weighted_fit_equals_one_row_per_customer(lifetimes_reference):
    summary = lifetimes_reference[0].reset_index(drop=True)
    one = clv.fit_bgnbd(summary)
    weighted = clv.fit_bgnbd(clv.aggregate(summary, ["frequency", "recency", "T"]))
    assert one.converged and weighted.converged
    assert len(clv.aggregate(summary, ["frequency", "recency", "T"])) < len(summary)
    for name in clv.BGNBD:
        assert weighted.params[name] == pytest.approx(one.params[name], rel=1e-6)
    assert weighted.log_likelihood == pytest.approx(one.log_likelihood, rel=1e-9)


@pytest.mark.parametrize("kind", ["whole days", "whole days as floats", "fractions of weeks"])
def test_aggregate_counts_customers_per_distinct_row_like_a_group_by(kind):
    rng = np.random.default_rng(3)
    rows = pd.DataFrame({"frequency": rng.integers(0, 5, 5000), "recency": rng.integers(0, 40, 5000),
                         "T": rng.integers(40, 60, 5000)})
    if kind != "whole days":
        rows = rows.astype(float)
    if kind == "fractions of weeks":
        rows[["recency", "T"]] /= 7
    expected = rows.groupby(["frequency", "recency", "T"], sort=True).size().rename("weight").reset_index()
    aggregated = clv.aggregate(rows, ["frequency", "recency", "T"])
    pd.testing.assert_frame_equal(aggregated, expected)
    assert aggregated.weight.sum() == len(rows) and len(aggregated) < len(rows)


def test_a_month_with_too_few_customers_is_reported(handmade_warehouse):
    params = frame(handmade_warehouse, "select * from clv_model_params")
    assert len(params) and not params.converged.any()
    assert params.message.str.contains("fewer than").all()
    [(n, predicted)] = query(handmade_warehouse,
                             "select count(*), count(p_alive) from customer_churn_monthly")
    assert n > 0 and predicted == 0


def _auc(score, label):
    """ROC AUC by pairwise comparison (ties half): independent of the model's own helper."""
    score, label = np.asarray(score, float), np.asarray(label, bool)
    pos, neg = score[label], score[~label]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return greater / (len(pos) * len(neg))


def test_p_alive_and_status_find_the_generators_churn(demo_warehouse, demo_raw):
    truth = pd.read_parquet(demo_raw.parent / "truth" / "customer_truth.parquet")
    last = frame(demo_warehouse, """
        select customer_id, p_alive, status from customer_churn_monthly
        where month_end = (select max(month_end) from customer_churn_monthly) and p_alive is not null""")
    joined = last.merge(truth, on="customer_id")
    churned = joined.is_churned_at_end.to_numpy()
    rule = joined.status.map({"new": 0, "active": 0, "reactivated": 0, "at_risk": 1, "churned": 2})
    assert _auc(1 - joined.p_alive, churned) > 0.8
    assert _auc(rule, churned) > 0.8
