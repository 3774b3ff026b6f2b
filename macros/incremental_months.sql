{#- Incremental monthly models (see models/intermediate/build/int_build_months.sql).

    A month's results depend on the raw rows dated up to its end, so when the raw data of
    month M changes (or M is new, or gone) every month from M on is recomputed and the months
    before M are kept. Monthly models are materialized incremental with the months_rebuilt
    strategy below (unique_key = their month column) and filter their rows with
    is_month_rebuilt; a model whose rows look back at earlier months (lag, trailing windows)
    reads that many extra months of its inputs. Fact tables whose rows each come from one raw
    row (fct_orders, fct_surveys, fct_contacts) are rebuilt the same way by their date
    (facts_rebuilt). -#}

{% macro first_month_rebuilt(lookback_months=0) -%}
    {#- the first month this build recomputes, minus lookback_months (null when none is) -#}
    {{ build_months_date(dbt.last_day(dbt.dateadd('month', -lookback_months, 'min(rebuild_from)'), 'month')) }}
{%- endmacro %}


{% macro last_month_rebuilt(lookback_months=0) -%}
    {#- the last month this build recomputes (the last reporting month), minus lookback_months -#}
    {{ build_months_date(dbt.last_day(dbt.dateadd('month', -lookback_months, 'max(month_end)'), 'month')) }}
{%- endmacro %}


{% macro months_rebuilt() -%}
    {#- the month ends this build computes, as dates in month order: every reporting month in a
        full build, the months rebuilt in an incremental one; [none] when no month is (a null
        date, which matches no row). For models that work one month at a time (month_by_month). -#}
    {%- set query -%}
    select month_end from {{ ref('int_build_months') }}
    {%- if is_incremental() %} where is_rebuilt{% endif %}
    order by month_end
    {%- endset -%}
    {%- if not execute -%}
        {#- while parsing: one month, so that the SQL renders with its refs -#}
        {{ return([modules.datetime.date(2000, 1, 31)]) }}
    {%- endif -%}
    {{ return(run_query(query).columns[0].values() | list or [none]) }}
{%- endmacro %}


{% macro date_literal(day) -%}
    {#- a date (or none) as a SQL literal -#}
    {{ "cast(null as date)" if day is none else "cast('" ~ day ~ "' as date)" }}
{%- endmacro %}


{% macro in_month(column, month, days_after=0) -%}
    {#- column's dates that fall in month (a month end from months_rebuilt()) once days_after
        days are added: a range on column itself, so that it reaches the table scan and its
        zone maps -#}
    {%- set shift = modules.datetime.timedelta(days=days_after) -%}
    {{ column }} between {{ date_literal(month.replace(day=1) - shift if month is not none else none) }}
        and {{ date_literal(month - shift if month is not none else none) }}
{%- endmacro %}


{% macro month_by_month(relation, month_column='month_end') -%}
    {#- the rows of relation one month at a time: a union of one select per month this build
        computes, in month order. Each month's filter reaches the table scans below relation's
        joins (on the month too) and windows (partitioned by it), so every join and sort holds
        one month's rows, and the rows come out in month order as in_month_order() would sort
        them. relation is a CTE declared not_materialized(), so that it is not computed whole
        and then filtered. -#}
    {%- for month in months_rebuilt() %}
    select * from {{ relation }} where {{ month_column }} = {{ date_literal(month) }}
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro not_materialized() -%}
    {{ adapter.dispatch('not_materialized', 'kam')() }}
{%- endmacro %}

{% macro default__not_materialized() %}{% endmacro %}

{% macro duckdb__not_materialized() -%}
    {#- a CTE read more than once is evaluated per use (DuckDB would hold its rows) -#}
    not materialized
{%- endmacro %}


{% macro over_months(function, expression, window) -%}
    {#- function(expression) over window, a window over each customer's months in order; the
        last non-null value for last_value -#}
    {%- if function == 'last_value' -%}
        last_value({{ expression }} ignore nulls) over {{ window }}
    {%- else -%}
        {{ function }}({{ expression }}) over {{ window }}
    {%- endif -%}
{%- endmacro %}


{% macro carried_over_months(how, expression, column, window='to_date') -%}
    {#- carried() of the running how (sum, min, max or last: the latest non-null value) of
        expression over each customer's months in window, through over_months -#}
    {{ carried(over_months('last_value' if how == 'last' else how, expression, window), column, how) }}
{%- endmacro %}


{% macro build_months_date(expression) -%}
    {#- a date aggregated from int_build_months (built earlier in this run), as a literal when the
        model runs: a filter on a literal reaches the table scan below a view's joins and uses
        its zone maps, which a filter on a scalar subquery does not (fct_orders read all 47M
        staged orders at 1M customers to keep the new month's 1.3M). While parsing, the
        subquery, so that dbt records the dependency. -#}
    {%- set query -%}
    select cast({{ expression }} as date) from {{ ref('int_build_months') }}
    {%- endset -%}
    {%- if execute -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        {{- date_literal(value) -}}
    {%- else -%}
        ({{ query }})
    {%- endif -%}
{%- endmacro %}


{% macro is_month_rebuilt(month_column, lookback_months=0) -%}
    {#- rendered while parsing too, so that dbt records the dependency on int_build_months -#}
    {%- if is_incremental() or not execute -%}
        {{ month_column }} >= {{ first_month_rebuilt(lookback_months) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{% macro is_fact_rebuilt(date_column, lookback_days=0) -%}
    {#- whether a fact row (one raw row, dated by date_column) is recomputed: rows from the first
        month rebuilt on, all rows when that is the first reporting month (earlier rows are
        counted in it), rows after the last reporting month when no month is rebuilt; and rows
        up to lookback_days before those, for a fact that looks that far forward -#}
    {%- if is_incremental() or not execute -%}
    {{ fact_rebuilt_condition(date_column, lookback_days) }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{% macro fact_rebuilt_condition(date_column, lookback_days=0) -%}
    {#- is_fact_rebuilt's condition, also outside an incremental model (the tests of the rows an
        incremental build rebuilt) -#}
    {%- set boundary = build_months_date(
        "case when max(rebuild_from) is null then max(month_end) "
        ~ "else max(case when month_end < rebuild_from then month_end end) end") -%}
    coalesce({{ date_column }} > {{ dbt.dateadd('day', -lookback_days, boundary) if lookback_days else boundary }}, true)
{%- endmacro %}


{% macro carried(window_expression, column, how) -%}
    {#- A to-date total over the rows read, continued from the carried-over previous_<column>
        (incremental runs): how = sum, min, max or last (the latest non-null value). -#}
    {%- set previous = 'previous_' ~ column -%}
    {%- if not is_incremental() -%}
        {{ window_expression }}
    {%- elif how == 'sum' -%}
        coalesce({{ previous }}, 0) + {{ window_expression }}
    {%- elif how in ('min', 'max') -%}
        coalesce({{ 'least' if how == 'min' else 'greatest' }}({{ previous }}, {{ window_expression }}), {{ previous }}, {{ window_expression }})
    {%- elif how == 'last' -%}
        coalesce({{ window_expression }}, {{ previous }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("carried(): how must be sum, min, max or last, not " ~ how) }}
    {%- endif -%}
{%- endmacro %}


{% macro get_incremental_months_rebuilt_sql(arg_dict) %}
    {#- delete every month from the first rebuilt on (months that no longer exist too), insert
        the months just computed; config rebuild_lookback_months widens it (the holdout) -#}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ arg_dict['unique_key'] }} >= {{ first_month_rebuilt(config.get('rebuild_lookback_months', 0) | int) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}


{% macro get_incremental_facts_rebuilt_sql(arg_dict) %}
    {#- facts: delete the rows is_fact_rebuilt selects by the date column in config rebuilt_by
        (and rebuilt_lookback_days), insert -#}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ is_fact_rebuilt(config.require('rebuilt_by'), config.get('rebuilt_lookback_days', 0) | int) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}


{% macro get_incremental_replace_sql(arg_dict) %}
    {#- all rows replaced: for a model that reads its own previous rows, so it is incremental -#}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}


{% macro in_month_order(month_column='month_end') -%}
    {#- A full build stores a customer-month table in month order. Computed per customer, its
        rows would come out in customer order, every month in every row group, and a read of a
        few months (an incremental build's look-back and delete, the gate's monthly batches, the
        report) would scan the whole table; in month order the zone maps skip the other months.
        An incremental build appends whole months, which keeps the order. -#}
    {%- if not is_incremental() %}
order by {{ month_column }}
    {%- endif %}
{%- endmacro %}
