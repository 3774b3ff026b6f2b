{%- set raw_orders = source('raw', 'orders') -%}

with raw_orders as (
    {{ read_raw(raw_orders) }}
),

customers as (
    select customer_id from {{ ref('stg_raw__customers') }}
),

checked as (
    select
        raw_orders.*,
        {{ quarantine_reason(contract_checks(raw_orders) + [
            ["customer_id not in (select customer_id from customers)", "unknown_customer", "customer_id"],
            ["status = 'completed' and revenue < 0", "negative_revenue", "revenue"],
        ]) }}
    from raw_orders
)

select * from checked
