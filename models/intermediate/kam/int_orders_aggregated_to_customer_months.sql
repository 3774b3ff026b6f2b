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
        max(order_date) as last_order_date,
        -- the first payment received in full among the month's orders (any time after them):
        -- the customer's first is the least of its months' (int_customer_months)
        min(case when is_paid_in_full or not has_payment_terms
            then case when has_payment_terms then paid_date else order_date end end) as first_full_payment_date
    from orders
    group by customer_id, order_month_end
)

select * from final
{{ in_month_order() }}
