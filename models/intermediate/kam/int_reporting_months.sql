-- The months the marts cover: from the first order's month to the last complete month of
-- data. A month is complete once the data's last event falls in an earlier calendar month
-- than the build's, or explicitly with the var as_of_month_end. A table: many models and
-- tests ask for the months.
{{ config(materialized='table') }}
{%- set event_dates = {'orders': 'order_date', 'contacts': 'cast(contact_date as date)', 'surveys': 'survey_date'} %}

with quarantined as (
    select entity, source_file, source_row from {{ ref('stg_raw__quarantined_rows') }}
),

{%- for entity, event_date in event_dates.items() %}

staged_{{ entity }} as (
    -- the staged rows' dates: the landed rows but the few quarantined ones. Reading the staged
    -- view would check every row again (4 s at 1M customers); a left join, since `not exists`
    -- ran as a correlated join (17 s)
    select {{ event_date }} as event_date
    from {{ ref('landed_raw__' ~ entity) }} as landed
    -- a subquery: it sits in a loop over the entities, one per entity as a CTE would be
    left join (  -- noqa: ST05
        select source_file, source_row from quarantined
        where entity = '{{ entity }}'
    ) as quarantined
        on landed._source_file = quarantined.source_file
        and landed._source_row = quarantined.source_row
    where quarantined.source_row is null
),
{%- endfor %}

orders as (
    select event_date from staged_orders
),

events as (
    select event_date from staged_orders
    union all
    select event_date from staged_contacts
    union all
    select event_date from staged_surveys
),

bounds as (
    select
        cast({{ dbt.date_trunc('month', '(select min(event_date) from orders)') }} as date) as first_month_start,
        {%- if var('as_of_month_end') %}
        max(cast('{{ var("as_of_month_end") }}' as date)) as last_month_end  -- one row, like the else branch
        {%- else %}
        case
            when {{ dbt.date_trunc('month', 'max(event_date)') }} < {{ dbt.date_trunc('month', 'current_date') }}
                then cast({{ dbt.last_day('max(event_date)', 'month') }} as date)
            else cast({{ dbt.dateadd('day', -1, dbt.date_trunc('month', 'max(event_date)')) }} as date)
        end as last_month_end
        {%- endif %}
    from events
),

month_numbers as (
    {{ dbt.generate_series(1200) }}
),

final as (
    select
        cast({{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month_start') }} as date) as month_start,
        cast({{ dbt.last_day(dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month_start'), 'month') }}
            as date) as month_end
    from month_numbers
    cross join bounds
    where {{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month_start') }} <= bounds.last_month_end
)

select * from final
