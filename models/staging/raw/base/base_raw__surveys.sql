{%- set raw_surveys = source('raw', 'surveys') -%}

with raw_surveys as (
    {{ read_raw(raw_surveys) }}
),

customers as (
    select customer_id from {{ ref('stg_raw__customers') }}
),

checked as (
    select
        raw_surveys.*,
        {{ quarantine_reason(contract_checks(raw_surveys) + [
            ["customer_id not in (select customer_id from customers)", "unknown_customer", "customer_id"],
        ]) }}
    from raw_surveys
)

select * from checked
