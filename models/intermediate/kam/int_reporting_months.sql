-- The months the marts cover: from the first order's month to the last complete month of
-- data. A month is complete once the data's last event falls in an earlier calendar month
-- than the build's, or explicitly with the var as_of_month_end. A table: finding the bounds
-- reads every staged row, and many models and tests ask for the months.
{{ config(materialized='table') }}

with orders as (
    select order_date as event_date from {{ ref('stg_raw__orders') }}
),

events as (
    select event_date from orders
    union all
    select contact_date from {{ ref('stg_raw__contacts') }}
    union all
    select survey_date from {{ ref('stg_raw__surveys') }}
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
        cast({{ dbt.last_day(dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month_start'), 'month') }} as date) as month_end
    from month_numbers
    cross join bounds
    where {{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month_start') }} <= bounds.last_month_end
)

select * from final
