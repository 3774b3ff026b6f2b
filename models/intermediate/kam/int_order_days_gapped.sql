{{ config(materialized='incremental', incremental_strategy='facts_rebuilt', rebuilt_by='order_date') }}
{#- stored, not a view: read by the RFM summary, churn and the holdout (once per month) #}

-- Each customer's order days (same-day orders merged) with the gap since the previous one,
-- its usual gap so far (a high percentile of its own gaps: churn for non-contractual buyers is
-- judged against the account's own rhythm), and running revenue for the RFM summary.
-- An incremental build computes only the order days from the first month rebuilt on: the
-- running columns continue from the customer's last stored day, and each new day's usual gap
-- is the percentile of its stored and new gaps up to that day (a running percentile over whole
-- histories cost 4x as much at a million customers, as most of them order every month).
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
    -- the stored days before the rebuilt ones, of the customers with a rebuilt day
    select customer_id, order_date, n_order_days_to_date, gap_days, revenue_to_date, first_day_revenue
    from {{ this }}
    where not {{ is_fact_rebuilt('order_date') }}
        and customer_id in (select customer_id from order_days)
),

last_kept as (
    select kept.*
    from kept
    inner join (
        select customer_id, max(order_date) as order_date from kept group by customer_id
    ) as latest on kept.customer_id = latest.customer_id and kept.order_date = latest.order_date
),
{%- endif %}

gaps as (
    select
        order_days.customer_id,
        order_days.order_date,
        order_days.revenue,
        order_days.gross_profit,
        {%- if is_incremental() %}
        coalesce(last_kept.n_order_days_to_date, 0) + row_number() over running as n_order_days_to_date,
        {{ dbt.datediff('coalesce(lag(order_days.order_date) over running, last_kept.order_date)', 'order_days.order_date', 'day') }}
            as gap_days,
        {{ money('coalesce(last_kept.revenue_to_date, 0) + sum(order_days.revenue) over running') }} as revenue_to_date,
        coalesce(last_kept.first_day_revenue, first_value(order_days.revenue) over running) as first_day_revenue
        {%- else %}
        row_number() over running as n_order_days_to_date,
        {{ dbt.datediff('lag(order_days.order_date) over running', 'order_days.order_date', 'day') }} as gap_days,
        {{ money('sum(order_days.revenue) over running') }} as revenue_to_date,
        first_value(order_days.revenue) over running as first_day_revenue
        {%- endif %}
    from order_days
    {%- if is_incremental() %}
    left join last_kept on order_days.customer_id = last_kept.customer_id
    {%- endif %}
    window running as (
        partition by order_days.customer_id order by order_days.order_date
        rows between unbounded preceding and current row
    )
),

{%- if is_incremental() %}

gap_history as (
    select customer_id, order_date, gap_days from kept
    union all
    select customer_id, order_date, gap_days from gaps
),

usual_gaps as (
    select
        gaps.customer_id,
        gaps.order_date,
        quantile_cont(gap_history.gap_days, {{ var('churn_gap_percentile') }}) as usual_gap_days
    from gaps
    inner join gap_history
        on gaps.customer_id = gap_history.customer_id and gap_history.order_date <= gaps.order_date
    group by gaps.customer_id, gaps.order_date
),

final as (
    select gaps.*, usual_gaps.usual_gap_days
    from gaps
    inner join usual_gaps on gaps.customer_id = usual_gaps.customer_id and gaps.order_date = usual_gaps.order_date
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
