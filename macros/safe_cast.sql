{#- dbt-duckdb does not implement safe_cast, so dbt.safe_cast falls back to a plain cast that
    fails the build on the first bad value; DuckDB's try_cast gives null, which the quarantine
    checks then report. -#}
{% macro duckdb__safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}
