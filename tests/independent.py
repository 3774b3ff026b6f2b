"""An independent pandas implementation of the marts' rules, read straight from the raw CSVs.

It shares no code with the dbt models: cleaning, trailing windows, bands, churn status and NPS
are recomputed here from the methodology's definitions, so agreement means something.
Money is handled in integer cents, so band boundaries compare exactly.
"""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd

POLICY = {"cost_to_serve_12m": 200, "value_band_a_share": 0.8, "churn_gap_percentile": 0.9,
          "churn_default_gap_days": 90, "churn_min_orders": 4, "churn_after_days": 180}


def read(raw_dir, entity) -> pd.DataFrame:
    files = sorted(glob.glob(f"{raw_dir}/{entity}/**/*.csv", recursive=True))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])


def clean(raw_dir):
    """Customers, completed orders and surveys as the contract allows them."""
    customers = read(raw_dir, "customers")
    customers = customers[customers.customer_id != ""].drop_duplicates("customer_id")
    known = set(customers.customer_id)

    orders = read(raw_dir, "orders")
    orders["order_date"] = pd.to_datetime(orders.order_date, format="%Y-%m-%d", errors="coerce")
    orders["revenue_cents"] = (pd.to_numeric(orders.revenue) * 100).round().astype("Int64")
    orders["cost_cents"] = (pd.to_numeric(orders.cost) * 100).round().astype("Int64")
    orders = orders[orders.order_id != ""].drop_duplicates("order_id")
    orders = orders[orders.order_date.notna() & orders.customer_id.isin(known)]
    orders = orders[~((orders.status == "completed") & (orders.revenue_cents < 0))]
    orders = orders[orders.status == "completed"].copy()
    orders["gp_cents"] = orders.revenue_cents - orders.cost_cents.fillna(0)
    for column in ("due_date", "paid_date"):
        orders[column] = pd.to_datetime(orders[column], format="%Y-%m-%d", errors="coerce")
    # a payment date without an amount is a payment in full
    paid_cents = (pd.to_numeric(orders.paid_amount) * 100).round().astype("Int64")
    orders["paid_cents"] = paid_cents.fillna(orders.revenue_cents).where(orders.paid_date.notna())

    surveys = read(raw_dir, "surveys")
    surveys = surveys[surveys.response_id != ""].drop_duplicates("response_id")
    surveys = surveys[surveys.customer_id.isin(known)].copy()
    surveys["nps"] = pd.to_numeric(surveys.nps_score.replace("", np.nan))
    surveys = surveys[surveys.nps.isna() | surveys.nps.between(0, 10)]
    surveys["survey_date"] = pd.to_datetime(surveys.survey_date)
    return customers, orders, surveys


def value_bands(orders: pd.DataFrame, month_end: pd.Timestamp) -> pd.DataFrame:
    """Trailing-12-month gross profit and the A/B/C band of every account that bought."""
    start = month_end - pd.offsets.MonthBegin(12)  # first day of the 12th month back
    window = orders[(orders.order_date >= start) & (orders.order_date <= month_end)]
    gp = window.groupby("customer_id").gp_cents.sum().rename("gp_cents").reset_index()
    gp = gp.sort_values(["gp_cents", "customer_id"], ascending=[False, True])
    positive = gp.gp_cents.clip(lower=0)
    before = positive.cumsum() - positive
    total = positive.sum()
    gp["value_band"] = np.where(
        gp.gp_cents < POLICY["cost_to_serve_12m"] * 100, "C",
        np.where(before < POLICY["value_band_a_share"] * total, "A", "B"))
    return gp


def receivables(orders: pd.DataFrame, month_end: pd.Timestamp) -> pd.DataFrame:
    """Each account's open and overdue receivables at month_end, in cents, and its invoices due
    in the trailing 12 months and how many of them were paid in full by their due date. An
    invoice (an order with a due date) is open from its order date until paid, overdue from the
    day after its due date until paid."""
    invoices = orders[orders.due_date.notna()]
    paid = invoices[invoices.paid_date.notna()]
    day = pd.Timedelta(days=1)

    def outstanding(opened, closed):
        return (invoices[opened <= month_end].groupby("customer_id").revenue_cents.sum()
                .sub(paid[closed <= month_end].groupby("customer_id").paid_cents.sum(), fill_value=0))

    start = month_end - pd.offsets.MonthBegin(12)
    due = invoices[(invoices.due_date >= start) & (invoices.due_date <= month_end)]
    on_time = (due.paid_date <= due.due_date) & (due.paid_cents >= due.revenue_cents)
    return pd.DataFrame({
        "open_cents": outstanding(invoices.order_date, paid.paid_date),
        "overdue_cents": outstanding(invoices.due_date + day, np.maximum(paid.paid_date, paid.due_date + day)),
        "n_invoices_due_12m": due.groupby("customer_id").size(),
        "n_invoices_paid_on_time_12m": on_time.groupby(due.customer_id).sum(),
    }).fillna(0).astype("int64")


def gap_status(orders: pd.DataFrame, surveys: pd.DataFrame, customer_ids, month_end) -> pd.Series:
    """The churn status of each account from its order rhythm, before reactivation."""
    month_start = month_end - pd.offsets.MonthBegin(1)
    exits = surveys[(surveys.survey_type == "exit") & (surveys.survey_date <= month_end)]
    last_exit = exits.groupby("customer_id").survey_date.max()
    out = {}
    days_of = orders[orders.order_date <= month_end].groupby("customer_id").order_date
    history = {cid: np.sort(d.unique()) for cid, d in days_of}
    for cid in customer_ids:
        days = history.get(cid)
        if days is None:
            out[cid] = "prospect"
            continue
        first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
        if first >= month_start:
            out[cid] = "new"
            continue
        if last >= month_start:
            out[cid] = "active"
            continue
        if cid in last_exit.index and last_exit[cid] > last:
            out[cid] = "churned"
            continue
        gaps = np.diff(days).astype("timedelta64[D]").astype(int)
        usual = (np.quantile(gaps, POLICY["churn_gap_percentile"])
                 if len(days) >= POLICY["churn_min_orders"] else POLICY["churn_default_gap_days"])
        since = (month_end - last).days
        if since > max(POLICY["churn_after_days"], 2 * usual):
            out[cid] = "churned"
        elif since > usual:
            out[cid] = "at_risk"
        else:
            out[cid] = "active"
    return pd.Series(out)


def churn_status(orders, surveys, customer_ids, month_end) -> pd.Series:
    now = gap_status(orders, surveys, customer_ids, month_end)
    before = gap_status(orders, surveys, customer_ids, month_end - pd.offsets.MonthEnd(1))
    ordered = set(orders[(orders.order_date > month_end - pd.offsets.MonthEnd(1))
                         & (orders.order_date <= month_end)].customer_id)
    back = (now == "active") & (before == "churned") & now.index.isin(list(ordered))
    return now.where(~back, "reactivated")


def nps_by_month(surveys: pd.DataFrame) -> pd.Series:
    scored = surveys[surveys.nps.notna()].copy()
    scored["month_end"] = scored.survey_date + pd.offsets.MonthEnd(0)
    grouped = scored.groupby("month_end").nps
    return 100 * (grouped.apply(lambda s: (s >= 9).sum() - (s <= 6).sum()) / grouped.count())
