"""Holdout check of the predictive models, kept current on every build.

For each month M with a full horizon after it, the fit as of M (which saw only data up to M)
predicts the next `clv_holdout_months` months; the table compares that with what happened:
MAE and bias of expected repeat orders (order days), and the ROC AUC for "no order in the
horizon" of 1 - p_alive, of (minus) the expected orders, and of the rule-based churn status
(active < at_risk < churned). An incremental build recomputes the calibration months whose
horizon reaches a month rebuilt.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import rankdata

from kam import clv

SCHEMA = pa.schema([
    ("calibration_month_end", pa.date32()), ("horizon_months", pa.int64()), ("horizon_end", pa.date32()),
    ("n_customers", pa.int64()), ("n_without_order", pa.int64()), ("actual_orders", pa.float64()),
    ("expected_orders", pa.float64()), ("mae_expected_orders", pa.float64()),
    ("bias_expected_orders", pa.float64()), ("auc_p_alive", pa.float64()),
    ("auc_expected_orders", pa.float64()), ("auc_rule_status", pa.float64()),
])
RULE_SCORE = {"new": 0, "active": 0, "reactivated": 0, "at_risk": 1, "churned": 2}


def auc(score, label):
    """ROC AUC with ties counted half (Mann-Whitney)."""
    score, label = np.asarray(score, float), np.asarray(label, bool)
    positives, negatives = label.sum(), (~label).sum()
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="months_rebuilt",
               unique_key="calibration_month_end")
    horizon = int(dbt.config.get("clv_holdout_months"))
    # dbt reads a Python model's dependencies from its own dbt.ref calls, so they stay here
    params = dbt.ref("clv_model_params").df()
    params["month_end"] = params.month_end.dt.date
    rfm = dbt.ref("int_customer_months_rfm")
    churn = dbt.ref("customer_churn_monthly")
    order_days = dbt.ref("int_order_days_gapped")
    months = list(rfm.aggregate("month_end", "month_end").order("month_end").df().month_end.dt.date)
    time_unit = params.time_unit.iloc[0] if len(params) else "day"
    rebuilt = set(clv.months_rebuilt(months, dbt.ref("int_build_months")))
    rows = []
    for i, month_end in enumerate(months[: max(len(months) - horizon, 0)]):
        horizon_end = months[i + horizon]
        if not rebuilt.intersection(months[i: i + horizon + 1]):
            continue  # nothing it saw or predicted changed
        fit = params[(params.model == "bgnbd") & (params.month_end == month_end)]
        if fit.empty or not fit.converged.all():
            continue  # the holdout judges the fit made that month, not an older one
        bg = dict(zip(fit.parameter, fit.value.astype(float)))
        actual = order_days.filter(
            f"order_date > DATE '{month_end}' and order_date <= DATE '{horizon_end}'"
        ).aggregate("customer_id, count(*) as orders", "customer_id")
        status = churn.filter(f"month_end = DATE '{month_end}'").select("customer_id, status")
        # joined in DuckDB, in a fixed order: sums independent of scan order
        frame = (rfm.filter(f"month_end = DATE '{month_end}'")
                 .join(actual, "customer_id", how="left").join(status, "customer_id", how="left")
                 .order("customer_id").df())
        orders = frame.orders.fillna(0).to_numpy(float)
        x, t_x, age = clv.rfm_arrays(frame, time_unit)
        days = (pd.Timestamp(horizon_end) - pd.Timestamp(month_end)).days
        expected = clv.expected_purchases(bg, days / clv.DAYS_PER_UNIT[time_unit], x, t_x, age)
        alive = clv.p_alive(bg, x, t_x, age)
        no_order = orders == 0
        rows.append({
            "calibration_month_end": month_end, "horizon_months": horizon, "horizon_end": horizon_end,
            "n_customers": len(frame), "n_without_order": int(no_order.sum()),
            "actual_orders": float(orders.sum()), "expected_orders": float(expected.sum()),
            "mae_expected_orders": float(np.mean(np.abs(expected - orders))),
            "bias_expected_orders": float(np.mean(expected - orders)),
            "auc_p_alive": auc(1 - alive, no_order),
            # BG/NBD gives one-time buyers p_alive = 1; their low expected orders still rank them
            "auc_expected_orders": auc(-expected, no_order),
            "auc_rule_status": auc(frame.status.map(RULE_SCORE).fillna(0), no_order),
        })
    return pa.Table.from_pylist(rows, schema=SCHEMA)
