with orders as (
    select * from {{ ref('base_raw__orders') }}
    where quarantine_reason is null
),

final as (
    select
        order_id,
        customer_id,
        order_date,
        status,
        revenue,
        cost,
        discount,
        quantity,
        due_date,
        paid_date,
        paid_amount
    from orders
)

select * from final
