"""The monthly key-account report's data: parameters and queries (kam.formatting turns the
results into HTML tables).

Everything reads the published warehouse read-only and works from the customer-level marts, so
the same code serves the whole book and a filtered view (a region, a manager, an industry).
No personal data leaves here: no contact person names, no free-text comments.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from kam import warehouse

FILTERS = {"region": "region", "account_manager": "account_manager", "industry": "industry"}


class ReportError(ValueError):
    """A report parameter that cannot be honoured; the message is one line."""


@dataclass(frozen=True)
class Scope:
    """The month of the report and the accounts it covers."""

    month_end: dt.date
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        what = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.filters.items())
        return f"{self.month_end:%B %Y}" + (f" ({what})" if what else "")

    def shifted(self, months: int) -> dt.date:
        first = (pd.Timestamp(self.month_end) + pd.offsets.MonthBegin(-1)) + pd.DateOffset(months=months)
        return (first + pd.offsets.MonthEnd(0)).date()


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    return warehouse.connect(path)


def check_parameters(con, report_month: str, region: str | None = None,
                     account_manager: str | None = None, industry: str | None = None) -> Scope:
    """Validate the report's parameters against the warehouse; raise ReportError if not."""
    if not isinstance(report_month, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", report_month):
        raise ReportError(f"report_month must be YYYY-MM (e.g. 2026-10), got {report_month!r}")
    month_end = (pd.Timestamp(report_month + "-01") + pd.offsets.MonthEnd(0)).date()
    first, last = con.execute(
        "select min(month_end), max(month_end) from customer_value_monthly").fetchone()
    if first is None or not first <= month_end <= last:
        raise ReportError(f"month {report_month} is outside the data ({first:%Y-%m} to {last:%Y-%m})")
    filters = {}
    for name, value in (("region", region), ("account_manager", account_manager),
                        ("industry", industry)):
        if value in (None, ""):
            continue
        known = [r[0] for r in con.execute(
            f"select distinct {FILTERS[name]} from dim_customers order by 1").fetchall()]
        if value not in known:
            shown = ", ".join(map(str, known[:12])) + (" ..." if len(known) > 12 else "")
            raise ReportError(f"unknown {name.replace('_', ' ')} {value!r} (known: {shown})")
        filters[name] = value
    return Scope(month_end, filters)


IN_SCOPE = re.compile(r"[\w.]*customer_id in \(select customer_id from scope\)")


def query(con, scope: Scope, sql: str, **params) -> pd.DataFrame:
    """Run SQL that may use the CTE `scope` (the customers in the report) and named params."""
    if not scope.filters:
        # the whole book: every account of the marts is in dim_customers (a dbt relationships
        # test), and the semi-join took seconds per query over a year of a million accounts
        sql = IN_SCOPE.sub("true", sql)
    conditions = " and ".join(f"{FILTERS[k]} = ${k}" for k in scope.filters) or "true"
    prefix = f"with scope as (select customer_id from dim_customers where {conditions})"
    sql = sql.strip()
    sql = prefix + (", " + sql[len("with"):] if sql.lower().startswith("with") else " " + sql)
    return con.execute(sql, {**scope.filters, **params}).df()


# The headline reads what the marts store: the churn rates and retention of the whole book are
# churn_rates_monthly's 'all' row; a filtered report (no such row) counts its accounts by the
# marts' own flags (was_live_at_month_start, is_churn_event), as that model does. NPS counts
# fct_surveys' bands.
HEADLINE_SQL = """
with value as (
    select * from customer_value_monthly where customer_id in (select customer_id from scope)
),
churn as (
    select * from customer_churn_monthly where customer_id in (select customer_id from scope)
),
base as (
    select churn.customer_id, churn.is_churn_event, start_value.revenue_12m as revenue_12m_start
    from churn
    inner join value as start_value
        on churn.customer_id = start_value.customer_id and start_value.month_end = $previous
    where churn.month_end = $month_end and churn.was_live_at_month_start
),
cohort as (
    select now.revenue_12m, year_ago.revenue_12m as revenue_12m_year_ago
    from value as now
    inner join value as year_ago
        on now.customer_id = year_ago.customer_id and year_ago.month_end = $year_ago
    where now.month_end = $month_end and year_ago.revenue_12m > 0
),
surveys as (
    select nps_band from fct_surveys
    where customer_id in (select customer_id from scope) and nps_band is not null
        and survey_month_end > $quarter_ago and survey_month_end <= $month_end
)
select
    (select sum(revenue) from value where month_end = $month_end) as revenue,
    (select sum(gross_profit) from value where month_end = $month_end) as gross_profit,
    (select count(*) from churn where month_end = $month_end and is_live) as active_accounts,
    (select count(*) from customer_tier_monthly where month_end = $month_end and is_key_account
        and customer_id in (select customer_id from scope)) as key_accounts,
    {churn_rates}
    (select 100.0 * (count(*) filter (where nps_band = 'promoter')
                     - count(*) filter (where nps_band = 'detractor'))
        / nullif(count(*), 0) from surveys) as nps_3m
from (select 1) as one
left join churn_rates_monthly as stored on stored.month_end = $month_end and stored.dimension = 'all'
"""

CHURN_RATES_STORED = """
    stored.logo_churn_rate as logo_churn,
    stored.revenue_churn_rate as revenue_churn,
    stored.net_revenue_retention as nrr,"""

CHURN_RATES_COUNTED = """
    (select count(*) filter (where is_churn_event) * 1.0 / nullif(count(*), 0) from base) as logo_churn,
    (select sum(revenue_12m_start) filter (where is_churn_event) / nullif(sum(revenue_12m_start), 0)
        from base) as revenue_churn,
    -- retention from the month the mart has it (two years of data)
    case when stored.net_revenue_retention is not null then
        (select sum(revenue_12m) / nullif(sum(revenue_12m_year_ago), 0) from cohort) end as nrr,"""

HEADLINE_METRICS = [
    ("revenue", "Revenue (month)", "money"),
    ("gross_profit", "Gross profit (month)", "money"),
    ("active_accounts", "Active accounts", "count"),
    ("key_accounts", "Key accounts", "count"),
    ("logo_churn", "Logo churn (month)", "percent"),
    ("revenue_churn", "Revenue churn (month, trailing revenue)", "percent"),
    ("nrr", "Net revenue retention (12 months)", "percent"),
    ("nps_3m", "NPS (last 3 months)", "score"),
]


def headline_at(con, scope: Scope, month_end: dt.date) -> dict[str, float | None]:
    at = Scope(month_end, scope.filters)
    sql = HEADLINE_SQL.format(churn_rates=CHURN_RATES_COUNTED if scope.filters else CHURN_RATES_STORED)
    row = query(con, scope, sql, month_end=month_end, previous=at.shifted(-1),
                year_ago=at.shifted(-12), quarter_ago=at.shifted(-3)).iloc[0]
    return {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}


def headline(con, scope: Scope) -> pd.DataFrame:
    """Each headline metric this month, last month and a year ago (None outside the data)."""
    first = con.execute("select min(month_end) from customer_value_monthly").fetchone()[0]
    periods = {"this_month": scope.month_end, "last_month": scope.shifted(-1),
               "year_ago": scope.shifted(-12)}
    values = {name: (headline_at(con, scope, month) if month >= first else {})
              for name, month in periods.items()}
    return pd.DataFrame([
        {"metric": key, "label": label, "unit": unit,
         **{name: values[name].get(key) for name in periods}}
        for key, label, unit in HEADLINE_METRICS])


def pareto(con, scope: Scope) -> pd.DataFrame:
    """The Pareto curve of trailing gross profit over the accounts in scope that bought."""
    frame = query(con, scope, """
        select customer_id, gross_profit_12m, value_band from customer_value_monthly
        where month_end = $month_end and value_band is not null
            and customer_id in (select customer_id from scope)
        order by gross_profit_12m desc, customer_id""", month_end=scope.month_end)
    positive = frame.gross_profit_12m.astype(float).clip(lower=0)
    frame["customer_share"] = (pd.RangeIndex(len(frame)) + 1) / max(len(frame), 1)
    frame["profit_share"] = positive.cumsum() / positive.sum() if positive.sum() else 0.0
    return frame


def _with_comparisons(con, scope: Scope, sql: str, key: str, value: str) -> pd.DataFrame:
    """A per-month breakdown with `value` this month, last month and a year ago."""
    now = query(con, scope, sql, month_end=scope.month_end)
    for label, months in (("last_month", -1), ("year_ago", -12)):
        then = query(con, scope, sql, month_end=scope.shifted(months))[[key, value]]
        now = now.merge(then.rename(columns={value: f"{value}_{label}"}), on=key, how="left")
    return now


def value_bands(con, scope: Scope) -> pd.DataFrame:
    return _with_comparisons(con, scope, """
        select value_band as band, count(*) as accounts, sum(gross_profit_12m) as gross_profit_12m,
            sum(revenue_12m) as revenue_12m
        from customer_value_monthly
        where month_end = $month_end and value_band is not null
            and customer_id in (select customer_id from scope)
        group by 1 order by 1""", "band", "accounts")


def tier_distribution(con, scope: Scope) -> pd.DataFrame:
    return _with_comparisons(con, scope, """
        select tier, min(tier_rank) as tier_rank, count(*) as accounts,
            sum(gross_profit_12m) as gross_profit_12m
        from customer_tier_monthly
        where month_end = $month_end and customer_id in (select customer_id from scope)
        group by tier order by tier_rank""", "tier", "accounts")


def tier_migration(con, scope: Scope) -> pd.DataFrame:
    """Accounts from last month's tier (rows) to this month's (columns)."""
    frame = query(con, scope, """
        select coalesce(previous_tier, '(new)') as from_tier, tier as to_tier, count(*) as accounts
        from customer_tier_monthly
        where month_end = $month_end and customer_id in (select customer_id from scope)
        group by 1, 2""", month_end=scope.month_end)
    return frame.pivot_table(index="from_tier", columns="to_tier", values="accounts",
                             fill_value=0, aggfunc="sum")


def moved_down(con, scope: Scope) -> pd.DataFrame:
    return query(con, scope, """
        select customers.customer_name as account, tiers.previous_tier, tiers.tier, tiers.tier_reason,
            tiers.account_manager, tiers.gross_profit_12m
        from customer_tier_monthly as tiers
        inner join dim_customers as customers on tiers.customer_id = customers.customer_id
        where tiers.month_end = $month_end and tiers.tier_change = 'down'
            and tiers.customer_id in (select customer_id from scope)
        order by tiers.gross_profit_12m desc limit 25""", month_end=scope.month_end)


def accounts_at_risk(con, scope: Scope, limit: int = 15) -> pd.DataFrame:
    """Key accounts with the most profit at stake: trailing gross profit x risk of losing them.

    Risk is 1 - p_alive where the predictive model has filled it, otherwise how far the account
    is along its own road to churn (days since its last order over its churn threshold).
    """
    has_p_alive = "p_alive" in {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'customer_churn_monthly'"
    ).fetchall()}
    risk = "1 - churn.p_alive" if has_p_alive else \
        "least(1.0, churn.days_since_last_order * 1.0 / churn.churn_after_days)"
    return query(con, scope, f"""
        with last_nps as (
            select customer_id, nps_score,
                row_number() over (partition by customer_id order by survey_date desc, response_id desc) as nth
            from fct_surveys where nps_score is not null and survey_date <= $month_end
        )
        select
            customers.customer_name as account,
            tiers.tier,
            tiers.account_manager,
            churn.status,
            churn.days_since_last_order,
            tiers.days_since_last_contact,
            last_nps.nps_score as last_nps,
            customers.decision_maker_style,
            customers.recommended_approach,
            tiers.gross_profit_12m,
            {risk} as risk,
            tiers.gross_profit_12m * ({risk}) as profit_at_stake
        from customer_churn_monthly as churn
        inner join customer_tier_monthly as tiers
            on churn.customer_id = tiers.customer_id and churn.month_end = tiers.month_end
        inner join dim_customers as customers on churn.customer_id = customers.customer_id
        left join last_nps on churn.customer_id = last_nps.customer_id and last_nps.nth = 1
        where churn.month_end = $month_end and tiers.is_key_account
            and churn.customer_id in (select customer_id from scope)
            -- slipping now, or lost within the last three months (still worth a call)
            and (churn.status = 'at_risk' or (churn.status = 'churned' and churn.customer_id in (
                select customer_id from customer_churn_monthly
                where is_churn_event and month_end > $quarter_ago and month_end <= $month_end)))
        order by profit_at_stake desc, account
        limit {int(limit)}""", month_end=scope.month_end, quarter_ago=scope.shifted(-3))


def churn_trend(con, scope: Scope, months: int = 24) -> pd.DataFrame:
    """Logo churn by month: the whole book's as churn_rates_monthly stores it, a filtered
    report's counted from its accounts' flags."""
    window = {"month_end": scope.month_end, "since": scope.shifted(-months)}
    if scope.filters:
        frame = query(con, scope, """
            select month_end,
                count(*) filter (where was_live_at_month_start) as base,
                count(*) filter (where was_live_at_month_start and is_churn_event) as churned
            from customer_churn_monthly
            where month_end > $since and month_end <= $month_end
                and customer_id in (select customer_id from scope)
            group by 1 order by 1""", **window)
    else:
        frame = con.execute("""
            select month_end, n_accounts_start as base, n_churned as churned
            from churn_rates_monthly
            where dimension = 'all' and month_end > $since and month_end <= $month_end
            order by 1""", window).df()
    return frame.assign(churn_rate=lambda f: f.churned / f.base.where(f.base > 0))


def churn_reasons(con, scope: Scope) -> pd.DataFrame:
    """Why accounts left in the last 12 months (the churn events), with the kind of churn."""
    return query(con, scope, """
        select coalesce(reasons.reason, churn.churn_reason_code) as reason, churn.churn_type,
            count(*) as accounts, sum(churn.revenue_lost_12m) as revenue_lost_12m
        from customer_churn_monthly as churn
        left join churn_reasons as reasons on churn.churn_reason_code = reasons.churn_reason_code
        where churn.is_churn_event and churn.month_end > $since and churn.month_end <= $month_end
            and churn.customer_id in (select customer_id from scope)
        group by 1, 2 order by accounts desc""", month_end=scope.month_end,
        since=scope.shifted(-12))


CHURN_DIMENSIONS = ("industry", "region", "channel")


def churn_by(con, scope: Scope) -> dict[str, pd.DataFrame]:
    """Churn rate over the last 12 months by industry, by region and by channel. The whole
    book reads the months' rows of churn_rates_monthly (the same counts per dimension value,
    milliseconds against 1.2 s at a million customers); a filtered report counts its accounts."""
    frame = _churn_by_accounts(con, scope) if scope.filters else con.execute(f"""
        select dimension, dimension_value, cast(sum(n_accounts_start) as bigint) as account_months,
            cast(sum(n_churned) as bigint) as churned
        from churn_rates_monthly
        where month_end > $since and month_end <= $month_end
            and dimension in ({", ".join(f"'{d}'" for d in CHURN_DIMENSIONS)})
        group by 1, 2""", {"month_end": scope.month_end, "since": scope.shifted(-12)}).df()
    return {
        dimension: frame.loc[frame.dimension == dimension, ["dimension_value", "account_months", "churned"]]
        .rename(columns={"dimension_value": dimension})
        .assign(monthly_churn_rate=lambda f: f.churned / f.account_months.where(f.account_months > 0))
        .sort_values(["monthly_churn_rate", dimension], ascending=[False, True], ignore_index=True)
        for dimension in CHURN_DIMENSIONS
    }


def _churn_by_accounts(con, scope: Scope) -> pd.DataFrame:
    """churn_by's counts from the year's churn rows of the accounts in scope with their
    customers, grouped three ways (dimension, dimension_value, account_months, churned)."""
    return query(con, scope, f"""
        select
            case {" ".join(f"when grouping(customers.{d}) = 0 then '{d}'" for d in CHURN_DIMENSIONS)} end as dimension,
            case {" ".join(f"when grouping(customers.{d}) = 0 then customers.{d}" for d in CHURN_DIMENSIONS)} end
                as dimension_value,
            count(*) filter (where churn.was_live_at_month_start) as account_months,
            count(*) filter (where churn.was_live_at_month_start and churn.is_churn_event) as churned
        from customer_churn_monthly as churn
        inner join dim_customers as customers on churn.customer_id = customers.customer_id
        where churn.month_end > $since and churn.month_end <= $month_end
            and churn.customer_id in (select customer_id from scope)
        group by grouping sets ({", ".join(f"(customers.{d})" for d in CHURN_DIMENSIONS)})""",
        month_end=scope.month_end, since=scope.shifted(-12))


def coverage(con, scope: Scope, by: str = "account_manager") -> pd.DataFrame:
    """Visits and calls owed against delivered for live accounts, by manager or tier, for the
    tiers that owe contact. The coverage rate is account_coverage_monthly's: the accounts that
    got what their tier requires over those owed contact. The mart is per manager and tier, so
    the whole book and a manager's report read it; a region or industry counts its accounts by
    the same flags the mart counts (is_live, is_owed_contact, is_coverage_met)."""
    if by not in ("account_manager", "tier"):
        raise ValueError(by)
    if set(scope.filters) <= {"account_manager"}:
        sql = f"""
        select {by},
            sum(n_accounts) as accounts,
            sum(case when is_key_account_tier then n_accounts else 0 end) as key_accounts,
            sum(visits_owed_per_quarter) as visits_owed_quarter,
            sum(visits_delivered_3m) as visits_delivered_3m,
            sum(calls_owed_per_month) as calls_owed,
            sum(calls_delivered) as calls_delivered,
            sum(n_accounts_owed_contact) as accounts_owed_contact,
            sum(n_accounts_coverage_met) * 1.0 / nullif(sum(n_accounts_owed_contact), 0) as coverage_rate,
            sum(n_complaints_due) as complaints_due,
            sum(n_complaints_followed_up_in_time) * 1.0 / nullif(sum(n_complaints_due), 0)
                as complaints_followed_up_in_time
        from account_coverage_monthly
        where month_end = $month_end
            {"and account_manager = $account_manager" if scope.filters else ""}
        group by 1 having sum(n_accounts_owed_contact) > 0 order by coverage_rate, 1"""
    else:
        sql = f"""
        select tiers.{by},
            count(*) as accounts,
            count(*) filter (where tiers.is_key_account) as key_accounts,
            sum(tiers.visits_owed_per_quarter) as visits_owed_quarter,
            sum(tiers.visits_delivered_3m) as visits_delivered_3m,
            sum(tiers.calls_owed_per_month) as calls_owed,
            sum(tiers.calls_delivered) as calls_delivered,
            count(*) filter (where tiers.is_owed_contact) as accounts_owed_contact,
            count(*) filter (where tiers.is_owed_contact and tiers.is_coverage_met) * 1.0
                / nullif(count(*) filter (where tiers.is_owed_contact), 0) as coverage_rate,
            sum(tiers.n_complaints_due) as complaints_due,
            sum(tiers.n_complaints_followed_up) * 1.0 / nullif(sum(tiers.n_complaints_due), 0)
                as complaints_followed_up_in_time
        from customer_tier_monthly as tiers
        inner join customer_churn_monthly as churn
            on tiers.customer_id = churn.customer_id and tiers.month_end = churn.month_end
        where tiers.month_end = $month_end and churn.is_live
            and tiers.customer_id in (select customer_id from scope)
        group by 1 having count(*) filter (where tiers.is_owed_contact) > 0 order by coverage_rate, 1"""
    return _with_comparisons(con, scope, sql, by, "coverage_rate")


def satisfaction_trend(con, scope: Scope, months: int = 24) -> pd.DataFrame:
    """NPS and CSAT by month: the whole book's as satisfaction_monthly stores them, a filtered
    report's counted from fct_surveys' bands, as that model does."""
    window = {"month_end": scope.month_end, "since": scope.shifted(-months)}
    if not scope.filters:
        return con.execute("""
            select month_end, n_responses as responses, nps, csat
            from satisfaction_monthly
            where dimension = 'all' and month_end > $since and month_end <= $month_end
            order by 1""", window).df()
    return query(con, scope, """
        select survey_month_end as month_end, count(*) as responses,
            100.0 * (count(*) filter (where nps_band = 'promoter') - count(*) filter (where nps_band = 'detractor'))
                / nullif(count(nps_band), 0) as nps,
            count(*) filter (where is_csat_satisfied) * 1.0 / nullif(count(is_csat_satisfied), 0) as csat
        from fct_surveys
        where survey_month_end > $since and survey_month_end <= $month_end
            and customer_id in (select customer_id from scope)
        group by 1 order by 1""", **window)


def satisfaction_dimensions(con, scope: Scope) -> pd.DataFrame:
    """Mean dimension scores (1-5) over the last 6 months."""
    return query(con, scope, """
        select avg(quality_score) as quality, avg(delivery_score) as delivery,
            avg(service_score) as service, avg(price_score) as price
        from fct_surveys
        where survey_month_end > $since and survey_month_end <= $month_end
            and customer_id in (select customer_id from scope)""",
        month_end=scope.month_end, since=scope.shifted(-6)).T.rename(columns={0: "mean_score"})


def survey_coverage(con, scope: Scope) -> pd.DataFrame:
    """Key accounts surveyed in the last 6 months (the methodology: twice a year), by tier."""
    return _with_comparisons(con, scope, """
        select tier, count(*) as key_accounts,
            avg(case when is_surveyed_6m then 1.0 else 0 end) as surveyed_6m
        from customer_tier_monthly
        where month_end = $month_end and is_key_account
            and customer_id in (select customer_id from scope)
        group by tier order by min(tier_rank)""", "tier", "surveyed_6m")


def model_quality(con) -> pd.DataFrame | None:
    """The predictive models' holdout accuracy, once the models exist in the warehouse."""
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    if "clv_model_holdout" not in tables:
        return None
    return con.execute("select * from clv_model_holdout order by 1").df()
