{#- The value of the row that is last by the order columns (compared in turn), as an aggregate:
    one grouping instead of ranking every row with a window. DuckDB's arg_max and Spark's or
    Trino's max_by both take a struct as the ordering value. -#}
{% macro arg_max(value, order_columns) -%}
    {{ return(adapter.dispatch('arg_max', 'kam')(value, order_columns)) }}
{%- endmacro %}

{% macro default__arg_max(value, order_columns) -%}
    max_by({{ value }}, struct({{ order_columns | join(', ') }}))
{%- endmacro %}

{% macro duckdb__arg_max(value, order_columns) -%}
    arg_max({{ value }}, {{ order_columns[0] if order_columns | length == 1 else 'struct_pack(' ~ order_columns | join(', ') ~ ')' }})
{%- endmacro %}
