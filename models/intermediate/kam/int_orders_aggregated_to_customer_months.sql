{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}

with orders as (
    select * from {{ ref('fct_orders') }}
    where is_completed and {{ is_month_rebuilt('order_month_end') }}
),

final as (
    select
        customer_id,
        order_month_end as month_end,
        count(*) as n_orders,
        {{ money('sum(revenue)') }} as revenue,
        {{ money('sum(gross_profit)') }} as gross_profit,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders
    group by customer_id, order_month_end
)

select * from final
{{ in_month_order() }}
