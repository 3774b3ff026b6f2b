{{ config(materialized='incremental', incremental_strategy='facts_rebuilt', rebuilt_by='order_date') }}

with orders as (
    select * from {{ ref('stg_raw__orders') }}
    where {{ is_fact_rebuilt('order_date') }}
),

final as (
    select
        order_id,
        customer_id,
        order_date,
        cast({{ dbt.last_day('order_date', 'month') }} as date) as order_month_end,
        status,
        status = 'completed' as is_completed,
        revenue,
        cost,
        discount,
        quantity,
        cost is not null as has_cost,
        -- value is profit, not revenue; without a cost the order's profit is its revenue (as
        -- money: duckdb 2.0 types the difference of two decimal(18,2) decimal(19,2))
        {{ money('revenue - coalesce(cost, 0)') }} as gross_profit,
        (revenue - coalesce(cost, 0)) / nullif(revenue, 0) as gross_margin,
        due_date,
        paid_date,
        -- a payment date without an amount is taken as paid in full
        case when paid_date is not null then coalesce(paid_amount, revenue) end as paid_amount,
        {{ dbt.datediff('order_date', 'paid_date', 'day') }} as days_to_pay,
        due_date is not null as has_payment_terms,
        paid_date is not null and coalesce(paid_amount, revenue) >= revenue as is_paid_in_full,
        -- qualified accounts pay in full by the payment terms
        case
            when due_date is not null
                then coalesce(paid_date <= due_date and coalesce(paid_amount, revenue) >= revenue, false)
        end as is_paid_on_time
    from orders
)

select * from final
