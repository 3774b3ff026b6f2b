{%- set raw_contacts = source('raw', 'contacts') -%}

with raw_contacts as (
    {{ read_raw(raw_contacts) }}
),

customers as (
    select customer_id from {{ ref('stg_raw__customers') }}
),

checked as (
    select
        raw_contacts.*,
        {{ quarantine_reason(contract_checks(raw_contacts) + [
            ["customer_id not in (select customer_id from customers)", "unknown_customer", "customer_id"],
        ]) }}
    from raw_contacts
)

select * from checked
