-- Every customer id in the landed orders, contacts and surveys (any row, quarantined or not),
-- with the earliest date that dates its rows (see int_build_months). One grouping of the 85M
-- landed rows at 1M customers, read by int_build_months (a customer's first date) and by the
-- base_raw views, which look up only the ids no staged customer has instead of every row's id
-- among all customers.
{{ config(materialized='table') }}

with entity_rows as (
    {%- for entity, row_date in landed_row_dates().items() %}
    select customer_id, cast({{ row_date }} as date) as row_date
    from {{ ref('landed_raw__' ~ entity) }}
    {{- " union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select customer_id, min(row_date) as first_date
    from entity_rows
    group by customer_id
)

select * from final
