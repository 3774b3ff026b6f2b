"""The marts against an independent pandas computation and against the generator's truth."""

from __future__ import annotations

import pandas as pd
import pytest

import independent
from conftest import frame, query


@pytest.fixture(scope="module")
def cleaned(demo_raw):
    return independent.clean(demo_raw)



def _last_months(warehouse, n):
    rows = query(warehouse, f"select distinct month_end from customer_value_monthly order by 1 desc limit {n}")
    return [pd.Timestamp(r[0]) for r in rows]


def test_value_band_matches_pandas(demo_warehouse, cleaned):
    _, orders, _ = cleaned
    for month_end in _last_months(demo_warehouse, 3) + [pd.Timestamp("2025-01-31")]:
        expected = independent.value_bands(orders, month_end).set_index("customer_id")
        mart = frame(demo_warehouse, f"""
            select customer_id, cast(round(gross_profit_12m * 100) as bigint) as gp_cents, value_band
            from customer_value_monthly
            where month_end = '{month_end.date()}' and value_band is not null""").set_index("customer_id")
        assert set(mart.index) == set(expected.index), month_end
        mart = mart.loc[expected.index]
        assert (mart.gp_cents.to_numpy() == expected.gp_cents.to_numpy()).all(), month_end
        assert (mart.value_band.to_numpy() == expected.value_band.to_numpy()).all(), month_end
        assert set(expected.value_band) == {"A", "B", "C"}


def test_receivables_and_payment_record_match_pandas(demo_warehouse, cleaned):
    _, orders, _ = cleaned
    for month_end in _last_months(demo_warehouse, 2) + [pd.Timestamp("2025-01-31")]:
        mart = frame(demo_warehouse, f"""
            select customer_id,
                cast(round(open_receivables * 100) as bigint) as open_cents,
                cast(round(overdue_receivables * 100) as bigint) as overdue_cents,
                n_invoices_due_12m, n_invoices_paid_on_time_12m
            from customer_value_monthly
            where month_end = '{month_end.date()}'""").set_index("customer_id")
        expected = independent.receivables(orders, month_end)
        assert set(expected.index) <= set(mart.index), month_end
        expected = expected.reindex(mart.index, fill_value=0)[mart.columns]
        mismatched = (mart != expected).any(axis=1)
        assert not mismatched.any(), (month_end, mart[mismatched].head(), expected[mismatched].head())
        # the month has open, overdue and late-paid invoices to compare
        assert (mart.open_cents > 0).any() and (mart.overdue_cents > 0).any()
        assert (mart.n_invoices_paid_on_time_12m < mart.n_invoices_due_12m).any()


def test_complaint_follow_up_matches_pandas(demo_warehouse):
    # the follow-up rule recomputed from the fact rows themselves: the account's next contact
    # (by time, then id) dated within 7 days of the complaint
    contacts = frame(demo_warehouse, """
        select contact_id, customer_id, contacted_at, contact_date, is_complaint, is_followed_up_in_time
        from fct_contacts""").sort_values(["customer_id", "contacted_at", "contact_id"])
    next_date = contacts.groupby("customer_id").contact_date.shift(-1)
    expected = (next_date <= contacts.contact_date + pd.Timedelta(days=7)).where(contacts.is_complaint)
    complaints = contacts[contacts.is_complaint]
    assert (complaints.is_followed_up_in_time == expected[contacts.is_complaint].astype(bool)).all()
    assert contacts[~contacts.is_complaint].is_followed_up_in_time.isna().all()
    assert complaints.is_followed_up_in_time.any() and not complaints.is_followed_up_in_time.all()


def test_revenue_churn_and_retention_match_pandas(demo_warehouse):
    # from the customer months: the base is the accounts live at the end of the month before,
    # its revenue their trailing revenue then; retention follows the accounts that had trailing
    # revenue a year before (a month 12 months back by the calendar, not by row)
    value = frame(demo_warehouse, "select customer_id, month_end, revenue_12m from customer_value_monthly")
    value["month"] = pd.to_datetime(value.month_end).dt.to_period("M")
    revenue = value.set_index(["customer_id", "month"]).revenue_12m.astype(float)
    churn = frame(demo_warehouse, """
        select customer_id, month_end, previous_status in ('new', 'active', 'at_risk', 'reactivated') as in_base,
            is_churn_event from customer_churn_monthly""")
    for month_end in _last_months(demo_warehouse, 2) + [pd.Timestamp("2025-11-30")]:
        month = month_end.to_period("M")
        accounts = churn[pd.to_datetime(churn.month_end) == month_end].set_index("customer_id")
        base = accounts[accounts.in_base.fillna(False).astype(bool)]
        start = revenue.reindex(pd.MultiIndex.from_product([base.index, [month - 1]])).fillna(0).to_numpy()
        churned = base.is_churn_event.to_numpy(dtype=bool)
        now = revenue.xs(month, level="month")
        year_ago = revenue.xs(month - 12, level="month")
        cohort = year_ago[year_ago > 0].index
        expected = {
            "n_accounts_start": len(base),
            "revenue_churn_rate": start[churned].sum() / start.sum(),
            "net_revenue_retention": now.reindex(cohort).sum() / year_ago[cohort].sum(),
            "gross_revenue_retention": now.reindex(cohort).clip(upper=year_ago[cohort]).sum() / year_ago[cohort].sum(),
        }
        [mart] = frame(demo_warehouse, f"""
            select {", ".join(expected)} from churn_rates_monthly
            where dimension = 'all' and month_end = '{month_end.date()}'""").to_dict("records")
        assert mart == pytest.approx(expected, rel=1e-9), month_end
        assert 0 < expected["revenue_churn_rate"] and expected["gross_revenue_retention"] < expected["net_revenue_retention"]


def test_churn_status_matches_pandas(demo_warehouse, cleaned):
    _, orders, surveys = cleaned
    for month_end in _last_months(demo_warehouse, 2) + [pd.Timestamp("2025-06-30")]:
        mart = frame(demo_warehouse, f"""
            select customer_id, status from customer_churn_monthly
            where month_end = '{month_end.date()}'""").set_index("customer_id").status
        expected = independent.churn_status(orders, surveys, mart.index, month_end)
        mismatched = mart[mart != expected.reindex(mart.index)]
        assert mismatched.empty, (month_end, mismatched.head().to_dict(),
                                  expected.reindex(mismatched.index).head().to_dict())
        assert set(mart) >= {"active", "at_risk", "churned"}


def test_nps_matches_pandas(demo_warehouse, cleaned):
    _, _, surveys = cleaned
    expected = independent.nps_by_month(surveys)
    mart = frame(demo_warehouse, """
        select month_end, nps from satisfaction_monthly
        where dimension = 'all' and n_nps_responses > 0""")
    mart = mart.set_index(pd.to_datetime(mart.month_end)).nps
    expected = expected.reindex(mart.index)
    assert (mart - expected).abs().max() < 1e-9
    assert mart.between(-100, 100).all()


def test_marts_find_the_80_20_rule(demo_warehouse):
    [(share_a_customers, share_a_profit)] = query(demo_warehouse, """
        select avg(case when value_band = 'A' then 1.0 else 0 end),
               sum(case when value_band = 'A' then gross_profit_12m else 0 end)
                   / sum(greatest(gross_profit_12m, 0))
        from customer_value_monthly
        where month_end = (select max(month_end) from customer_value_monthly)
          and value_band is not null""")
    assert 0.1 < share_a_customers < 0.3
    assert 0.75 < share_a_profit < 0.9


def test_churn_concentrates_where_the_generator_put_it(demo_warehouse, demo_raw):
    truth = pd.read_parquet(demo_raw.parent / "truth" / "customer_truth.parquet")
    last = frame(demo_warehouse, """
        select customer_id, status from customer_churn_monthly
        where month_end = (select max(month_end) from customer_churn_monthly)""")
    joined = last.merge(truth, on="customer_id")
    gone = joined[joined.is_churned_at_end & ~joined.is_prospect]
    staying = joined[~joined.is_churned_at_end & ~joined.is_prospect]
    # accounts the generator churned are seen as churned or at risk; most others are not
    assert gone.status.isin(["churned", "at_risk"]).mean() > 0.8
    assert staying.status.isin(["active", "new", "reactivated"]).mean() > 0.7
    # the high-hazard industries of the methodology churn more in the marts, as generated
    rates = frame(demo_warehouse, """
        select dimension_value in ('government', 'mining_manufacturing', 'real_estate') as is_high,
               sum(n_churned) * 1.0 / sum(n_accounts_start) as churn_rate
        from churn_rates_monthly where dimension = 'industry' group by 1""").set_index("is_high")
    assert rates.churn_rate[True] > rates.churn_rate[False]


def test_stored_amounts_and_counts_stay_64_bit(demo_warehouse):
    # sums widen decimal(18,2) to decimal(38,2) and integers to hugeint, both stored as 128-bit
    # integers that DuckDB scans several times slower; the one intended hugeint is a hash sum
    wide = query(demo_warehouse, """
        select table_name || '.' || column_name
        from information_schema.columns
        join information_schema.tables using (table_schema, table_name)
        where table_type = 'BASE TABLE'
            and (data_type = 'HUGEINT' or regexp_matches(data_type, '^DECIMAL\\((19|[2-3][0-9]),'))
        order by 1""")
    assert [r[0] for r in wide] == ["int_build_months.fingerprint"]
