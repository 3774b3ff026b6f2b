-- The reporting months and which of them this build computes. A month's fingerprint sums a
-- hash of every raw row that can change its results, each row counted in the month of its
-- earliest date that matters, and no earlier than the first reporting month:
--   contacts and surveys: their own date;
--   orders: the earliest of order, due and paid date (a payment dated before its order, bad
--     but kept, moves receivables in that earlier month);
--   customers: created or their earliest row's date, whichever is first (a customer decides
--     which of its rows are staged).
-- The first month whose fingerprint differs from the previous build's (or that is new, or gone)
-- and every month after it are rebuilt; a full refresh rebuilds all. Models, seeds and vars
-- are not fingerprinted here: `kam build` compares those itself and runs a full refresh when
-- they changed.
{{ config(materialized='incremental', incremental_strategy='replace') }}

with months as (
    select * from {{ ref('int_reporting_months') }}
),

entity_rows as (
    {%- for entity, row_date in landed_row_dates().items() %}
    select cast({{ row_date }} as date) as row_date, _row_hash as row_hash
    from {{ ref('landed_raw__' ~ entity) }}
    {{- " union all" if not loop.last }}
    {%- endfor %}
),

dated_rows as (
    select row_date, row_hash from entity_rows
    union all
    select
        coalesce(
            least(customers.created_date, first_dates.first_date),
            customers.created_date, first_dates.first_date
        ) as row_date,
        customers._row_hash as row_hash
    from {{ ref('landed_raw__customers') }} as customers
    left join {{ ref('landed_raw__customer_ids') }} as first_dates
        on customers.customer_id = first_dates.customer_id
),

daily_fingerprints as (
    -- by day first: the month of every row computed over 88M rows at 1M customers cost 8 s
    select
        row_date,
        -- reduced so that the sum fits a bigint at any scale (the row count checks too)
        sum(cast(row_hash % 1000000007 as bigint)) as fingerprint,
        count(*) as n_rows
    from dated_rows
    where row_date is not null
    group by row_date
),

fingerprints as (
    select
        greatest(
            cast({{ dbt.last_day('row_date', 'month') }} as date),
            (select min(months.month_end) from months)
        ) as month_end,
        sum(fingerprint) as fingerprint,
        cast(sum(n_rows) as bigint) as n_rows
    from daily_fingerprints
    group by month_end
),

current_months as (
    select
        months.month_end,
        coalesce(fingerprints.fingerprint, 0) as fingerprint,
        coalesce(fingerprints.n_rows, 0) as n_rows
    from months
    left join fingerprints on months.month_end = fingerprints.month_end
),

{%- if is_incremental() %}

changed as (
    select coalesce(current_months.month_end, previous.month_end) as month_end
    from current_months
    full outer join {{ this }} as previous on current_months.month_end = previous.month_end
    where previous.month_end is null
        or current_months.month_end is null
        or current_months.fingerprint <> previous.fingerprint
        or current_months.n_rows <> previous.n_rows
),
{%- endif %}

rebuild as (
    -- the first changed month, which may be one that no longer exists; null: nothing changed
    {%- if is_incremental() %}
    select min(month_end) as rebuild_from from changed
    {%- else %}
    select min(month_end) as rebuild_from from current_months
    {%- endif %}
),

final as (
    select
        current_months.month_end,
        current_months.fingerprint,
        current_months.n_rows,
        rebuild.rebuild_from,
        coalesce(current_months.month_end >= rebuild.rebuild_from, false) as is_rebuilt
    from current_months
    cross join rebuild
)

select * from final
