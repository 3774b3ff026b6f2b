-- Churn by why, which kind and when (the methodology's three questions): logo and revenue
-- churn of the account base at the start of each month, net and gross revenue retention, by
-- industry, region, channel and tier, and the reasons' shares.
{%- set dimensions = {
    'all': "'all'",
    'industry': 'customers.industry',
    'region': 'customers.region',
    'channel': 'customers.channel',
    'tier': 'coalesce(tiers.previous_tier, tiers.tier)',
} %}

with churn as (
    select * from {{ ref('customer_churn_monthly') }}
    where {{ is_month_rebuilt('month_end') }}
),

tiers as (
    select * from {{ ref('customer_tier_monthly') }}
    where {{ is_month_rebuilt('month_end') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

value_rows as {{ not_materialized() }} (
    select customer_id, month_end, revenue_12m from {{ ref('customer_value_monthly') }}
),

value as (
    -- each month's trailing revenue beside the month before's (the base) and a year before's
    -- (retention; the dense monthly spine has a row there unless the account is younger):
    -- joins that read only the months needed, where lag() windows read 13 months of every
    -- account for one month rebuilt and sorted them (2.3 s of a one-month build at 1M customers)
    select
        this_month.customer_id,
        this_month.month_end,
        this_month.revenue_12m,
        month_before.revenue_12m as revenue_12m_start,
        year_before.revenue_12m as revenue_12m_year_ago
    from value_rows as this_month
    {%- for alias, months_back in [('month_before', 1), ('year_before', 12)] %}
    left join value_rows as {{ alias }}
        on {{ alias }}.customer_id = this_month.customer_id
        and {{ alias }}.month_end = cast({{ dbt.last_day(dbt.dateadd('month', -months_back, 'this_month.month_end'), 'month') }} as date)
        {%- if is_incremental() %}
        and {{ alias }}.month_end between {{ first_month_rebuilt(months_back) }} and {{ last_month_rebuilt(months_back) }}
        {%- endif %}
    {%- endfor %}
    where {{ is_month_rebuilt('this_month.month_end') }}
),

months as (
    -- retention compares trailing years, so it needs 24 months of data behind it
    select month_end, row_number() over (order by month_end) >= 24 as has_two_years
    from {{ ref('int_reporting_months') }}
),

accounts as (
    select
        churn.customer_id,
        churn.month_end,
        churn.was_live_at_month_start as is_in_base,
        churn.is_churn_event,
        churn.churn_reason_code,
        value.revenue_12m,
        value.revenue_12m_start,
        value.revenue_12m_year_ago,
        {%- for name, expression in dimensions.items() %}
        {{ expression }} as dimension_{{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from churn
    inner join tiers on churn.customer_id = tiers.customer_id and churn.month_end = tiers.month_end
    inner join value on churn.customer_id = value.customer_id and churn.month_end = value.month_end
    inner join customers on churn.customer_id = customers.customer_id
),

by_dimension as (
    -- one grouping of the accounts for every dimension and the reasons (grouping sets): a union
    -- of one query per dimension computed the three-way join of the accounts six times
    select
        month_end,
        case
            {%- for name in dimensions %}
            when grouping(dimension_{{ name }}) = 0 then '{{ name }}'
            {%- endfor %}
            else 'churn_reason'
        end as dimension,
        case
            {%- for name in dimensions %}
            when grouping(dimension_{{ name }}) = 0 then dimension_{{ name }}
            {%- endfor %}
            else churn_reason_code
        end as dimension_value,
        cast(sum(case when is_in_base then 1 else 0 end) as bigint) as n_accounts_start,
        cast(sum(case when is_in_base and is_churn_event then 1 else 0 end) as bigint) as n_churned,
        sum(case when is_in_base then revenue_12m_start else 0 end) as revenue_12m_start,
        sum(case when is_in_base and is_churn_event then revenue_12m_start else 0 end) as revenue_12m_churned,
        -- retention of the cohort that bought in the trailing year a year ago
        sum(case when revenue_12m_year_ago > 0 then revenue_12m end) as cohort_revenue_12m,
        sum(case when revenue_12m_year_ago > 0 then least(revenue_12m, revenue_12m_year_ago) end)
            as cohort_revenue_12m_capped,
        sum(case when revenue_12m_year_ago > 0 then revenue_12m_year_ago end) as cohort_revenue_12m_year_ago
    from accounts
    group by grouping sets (
        {%- for name in dimensions %}
        (month_end, dimension_{{ name }}),
        {%- endfor %}
        -- why: each reason's churned accounts, measured against the whole base below
        (month_end, churn_reason_code)
    )
),

based as (
    select
        by_dimension.month_end,
        by_dimension.dimension,
        by_dimension.dimension_value,
        by_dimension.n_churned,
        by_dimension.revenue_12m_churned,
        by_dimension.cohort_revenue_12m,
        by_dimension.cohort_revenue_12m_capped,
        by_dimension.cohort_revenue_12m_year_ago,
        -- a reason's rows are measured against the month's whole base (its 'all' row)
        case when by_dimension.dimension = 'churn_reason' then month_totals.n_accounts_start
            else by_dimension.n_accounts_start end as base_accounts,
        case when by_dimension.dimension = 'churn_reason' then month_totals.revenue_12m_start
            else by_dimension.revenue_12m_start end as base_revenue_12m,
        month_totals.n_churned as month_churned,
        months.has_two_years
    from by_dimension
    inner join by_dimension as month_totals
        on by_dimension.month_end = month_totals.month_end and month_totals.dimension = 'all'
    inner join months on by_dimension.month_end = months.month_end
    -- a reason's group holds every account with that code; only its churned ones count
    where by_dimension.dimension <> 'churn_reason' or by_dimension.n_churned > 0
),

final as (
    select
        month_end,
        dimension,
        dimension_value,
        base_accounts as n_accounts_start,
        n_churned,
        cast(n_churned as double) / nullif(base_accounts, 0) as logo_churn_rate,
        cast(n_churned as double) / nullif(month_churned, 0) as share_of_churned,
        {{ money('base_revenue_12m') }} as revenue_12m_start,
        {{ money('revenue_12m_churned') }} as revenue_12m_churned,
        cast(revenue_12m_churned as double) / nullif(base_revenue_12m, 0) as revenue_churn_rate,
        case when has_two_years and dimension <> 'churn_reason' then
            cast(cohort_revenue_12m as double) / nullif(cohort_revenue_12m_year_ago, 0)
        end as net_revenue_retention,
        case when has_two_years and dimension <> 'churn_reason' then
            cast(cohort_revenue_12m_capped as double) / nullif(cohort_revenue_12m_year_ago, 0)
        end as gross_revenue_retention
    from based
)

select * from final
