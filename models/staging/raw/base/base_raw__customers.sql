{%- set raw_customers = source('raw', 'customers') -%}

with raw_customers as (
    {{ read_raw(raw_customers) }}
),

checked as (
    select
        raw_customers.*,
        {{ quarantine_reason(contract_checks(raw_customers)) }}
    from raw_customers
)

select * from checked
