-- One row per customer per reporting month, from the month it was created or first ordered,
-- whichever came first, to the last complete month, with its first full payment (any time): a month's rows never depend on what
-- happened after it (an account created in August that first orders in October is a
-- prospect in August and September).
with customers as (
    select * from {{ ref('stg_raw__customers') }}
),

first_orders as (
    -- with the methodology's "signed" (contract and first payment received in full), which
    -- int_customer_months_summed keeps for the months from then on: one grouping of the
    -- orders, where two cost 1.3 s each in a one-month build at 1M customers
    select
        customer_id,
        min(order_date) as first_order_date,
        min(case when is_paid_in_full or not has_payment_terms
            then case when has_payment_terms then paid_date else order_date end end) as first_full_payment_date
    from {{ ref('fct_orders') }}
    where is_completed
    group by customer_id
),

months as (
    select * from {{ ref('int_reporting_months') }}
),

starts as (
    select
        customers.customer_id,
        cast({{ dbt.last_day('coalesce(least(first_orders.first_order_date, customers.created_date), first_orders.first_order_date, customers.created_date)', 'month') }} as date)
            as first_month_end,
        first_orders.first_full_payment_date
    from customers
    left join first_orders on customers.customer_id = first_orders.customer_id
),

final as (
    select
        starts.customer_id,
        months.month_start,
        months.month_end,
        starts.first_full_payment_date
    from starts
    inner join months on months.month_end >= starts.first_month_end
)

select * from final
