{#- Hints on whether a CTE is computed once and kept (PostgreSQL's and DuckDB's
    [NOT] MATERIALIZED); engines without them decide for themselves. -#}

{% macro default__materialized() %}{% endmacro %}

{% macro duckdb__materialized() -%}
    materialized
{%- endmacro %}


{% macro default__not_materialized() %}{% endmacro %}

{% macro duckdb__not_materialized() -%}
    {#- landing: the files are read once per use of raw_rows; DuckDB would otherwise hold every
        row read, which at scale spills to disk and took longer than reading again (typed Parquet) -#}
    not materialized
{%- endmacro %}
