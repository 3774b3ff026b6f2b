-- Every customer id in the landed orders, contacts and surveys (any row, quarantined or not),
-- with the earliest date that dates its rows (see int_build_months). Read by int_build_months
-- (a customer's first date) and by the base_raw views, which look up only the ids no staged
-- customer has instead of every row's id among all customers.
-- Incremental: when each entity still holds rows landed by earlier builds (none was read again
-- in full, which may drop rows), only the rows this dbt invocation landed are grouped (so run
-- the landing models and this one in one invocation, as `kam build` does), and an id's first
-- date is the least of its stored one and theirs; otherwise all landed rows are. Either way the
-- table is replaced whole (a million ids, two columns). Grouping all 85M landed rows took
-- 3.3-4.0 s of each one-month build at 1M customers; the new rows are the last row groups of
-- each table, so the filter on _landed_by skips the others.
{{ config(materialized='incremental', incremental_strategy='replace') }}
{%- set appended_only = is_incremental() and landed_rows_kept(landed_row_dates().keys()) %}

with entity_rows as (
    {%- for entity, row_date in landed_row_dates().items() %}
    select customer_id, cast({{ row_date }} as date) as row_date
    from {{ ref('landed_raw__' ~ entity) }}
    where customer_id is not null
    {%- if appended_only %}
        and _landed_by = '{{ invocation_id }}'
    {%- endif %}
    {{- " union all" if not loop.last }}
    {%- endfor %}
),

grouped as (
    select customer_id, min(row_date) as first_date
    from entity_rows
    group by customer_id
),

final as (
    {%- if appended_only %}
    select
        coalesce(stored.customer_id, grouped.customer_id) as customer_id,
        least(stored.first_date, grouped.first_date) as first_date
    from {{ this }} as stored
    full outer join grouped on stored.customer_id = grouped.customer_id
    {%- else %}
    select customer_id, first_date from grouped
    {%- endif %}
)

select * from final
