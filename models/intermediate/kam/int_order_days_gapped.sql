-- Each customer's order days with the gap since the previous one and its usual gap so far:
-- a high percentile of its own gaps up to that day (churn for non-contractual buyers is
-- judged against the account's own rhythm).
with order_days as (
    select distinct customer_id, order_date
    from {{ ref('fct_orders') }}
    where is_completed
),

gaps as (
    select
        customer_id,
        order_date,
        row_number() over (partition by customer_id order by order_date) as n_order_days_to_date,
        {{ dbt.datediff('lag(order_date) over (partition by customer_id order by order_date)', 'order_date', 'day') }}
            as gap_days
    from order_days
),

final as (
    select
        customer_id,
        order_date,
        n_order_days_to_date,
        gap_days,
        quantile_cont(gap_days, {{ var('churn_gap_percentile') }}) over (
            partition by customer_id order by order_date
            rows between unbounded preceding and current row
        ) as usual_gap_days
    from gaps
)

select * from final
