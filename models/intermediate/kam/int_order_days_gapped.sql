{{ config(materialized='incremental', incremental_strategy='facts_rebuilt', rebuilt_by='order_date') }}
{#- stored, not a view: read by the RFM summary, churn and the holdout (once per month) #}

-- Each customer's order days (same-day orders merged) with the gap since the previous one,
-- its usual gap so far (a high percentile of its own gaps: churn for non-contractual buyers is
-- judged against the account's own rhythm), and running revenue for the RFM summary.
-- An incremental build computes only the order days from the first month rebuilt on: the
-- running columns continue from the customer's last stored day, and each new day's usual gap
-- is the percentile of the customer's stored gaps, gathered in one list, and its new gaps up to
-- that day (a running percentile over whole histories cost 4x as much at a million customers,
-- as most of them order every month; joining each new day to its stored gaps, 2x as much).
with order_days as (
    select
        customer_id,
        order_date,
        {{ money('sum(revenue)') }} as revenue,
        {{ money('sum(gross_profit)') }} as gross_profit
    from {{ ref('fct_orders') }}
    where is_completed and {{ is_fact_rebuilt('order_date') }}
    group by customer_id, order_date
),

{%- if is_incremental() %}

kept as (
    -- each customer with a rebuilt day: its stored gaps before the rebuilt days, and its last
    -- stored day, which the running columns continue from
    select
        customer_id,
        list(gap_days) as kept_gap_days,
        max(order_date) as order_date,
        {%- for column in ['n_order_days_to_date', 'revenue_to_date', 'first_day_revenue'] %}
        {{ arg_max(column, ['order_date']) }} as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ this }}
    where not {{ is_fact_rebuilt('order_date') }}
        and customer_id in (select order_days.customer_id from order_days)
    group by customer_id
),
{%- endif %}

gaps as (
    select
        order_days.customer_id,
        order_days.order_date,
        order_days.revenue,
        order_days.gross_profit,
        {%- if is_incremental() %}
        coalesce(kept.n_order_days_to_date, 0) + row_number() over running as n_order_days_to_date,
        {{ dbt.datediff('coalesce(lag(order_days.order_date) over running, kept.order_date)', 'order_days.order_date', 'day') }}
            as gap_days,
        {{ money('coalesce(kept.revenue_to_date, 0) + sum(order_days.revenue) over running') }} as revenue_to_date,
        coalesce(kept.first_day_revenue, first_value(order_days.revenue) over running) as first_day_revenue
        {%- else %}
        row_number() over running as n_order_days_to_date,
        {{ dbt.datediff('lag(order_days.order_date) over running', 'order_days.order_date', 'day') }} as gap_days,
        {{ money('sum(order_days.revenue) over running') }} as revenue_to_date,
        first_value(order_days.revenue) over running as first_day_revenue
        {%- endif %}
    from order_days
    {%- if is_incremental() %}
    left join kept on order_days.customer_id = kept.customer_id
    {%- endif %}
    window running as (
        partition by order_days.customer_id order by order_days.order_date
        rows between unbounded preceding and current row
    )
),

{%- if is_incremental() %}

final as (
    -- the percentile of the kept gaps and the new ones up to each day
    select
        gaps.*,
        list_aggregate(
            list_concat(coalesce(kept.kept_gap_days, []), list(gaps.gap_days) over running),
            'quantile_cont', {{ var('churn_gap_percentile') }}
        ) as usual_gap_days
    from gaps
    left join kept on gaps.customer_id = kept.customer_id
    window running as (
        partition by gaps.customer_id order by gaps.order_date
        rows between unbounded preceding and current row
    )
)
{%- else %}

final as (
    select
        *,
        quantile_cont(gap_days, {{ var('churn_gap_percentile') }}) over (
            partition by customer_id order by order_date
            rows between unbounded preceding and current row
        ) as usual_gap_days
    from gaps
)
{%- endif %}

select * from final
