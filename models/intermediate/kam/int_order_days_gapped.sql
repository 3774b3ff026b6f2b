{{ config(materialized='incremental', incremental_strategy='facts_rebuilt', rebuilt_by='order_date') }}
{#- stored, not a view: read by the RFM summary, churn and the holdout (once per month) #}

-- Each customer's order days (same-day orders merged) with the gap since the previous one,
-- its usual gap so far (a high percentile of its own gaps: churn for non-contractual buyers is
-- judged against the account's own rhythm), and running revenue for the RFM summary. An
-- incremental build recomputes the order days from the first month rebuilt on, over the whole
-- history of the customers that have one.
with order_days as (
    select
        customer_id,
        order_date,
        {{ money('sum(revenue)') }} as revenue,
        {{ money('sum(gross_profit)') }} as gross_profit
    from {{ ref('fct_orders') }}
    where is_completed
    {%- if is_incremental() %}
        and customer_id in (
            select customer_id from {{ ref('fct_orders') }}
            where is_completed and {{ is_fact_rebuilt('order_date') }}
        )
    {%- endif %}
    group by customer_id, order_date
),

gaps as (
    select
        customer_id,
        order_date,
        revenue,
        gross_profit,
        row_number() over (partition by customer_id order by order_date) as n_order_days_to_date,
        {{ dbt.datediff('lag(order_date) over (partition by customer_id order by order_date)', 'order_date', 'day') }}
            as gap_days,
        {{ money('sum(revenue) over (partition by customer_id order by order_date
            rows between unbounded preceding and current row)') }} as revenue_to_date,
        first_value(revenue) over (partition by customer_id order by order_date) as first_day_revenue
    from order_days
),

final as (
    select
        *,
        quantile_cont(gap_days, {{ var('churn_gap_percentile') }}) over (
            partition by customer_id order by order_date
            rows between unbounded preceding and current row
        ) as usual_gap_days
    from gaps
)

select * from final
where {{ is_fact_rebuilt('order_date') }}
