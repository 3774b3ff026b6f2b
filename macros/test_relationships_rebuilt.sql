{#- Generic test: dbt's relationships, after an incremental build on the rows it rebuilt only:
    rebuilt_month (a model rebuilt by month, as in unique_combination) or rebuilt_by and
    lookback_days (a fact table, as in unique_fact_key). A kept row's key was found when it was
    written, and its parent is still there: a customer changed or gone changes the fingerprint of
    its first month, so every row of it is rebuilt (and checked). -#}
{% test relationships_rebuilt(model, column_name, to, field, rebuilt_month=none, rebuilt_by=none, lookback_days=0) %}
    {%- if flags.FULL_REFRESH and execute %}
    {{ adapter.dispatch('test_relationships', 'dbt')(model, column_name, to, field) }}
    {%- else %}
    {#- also while parsing, so that dbt records the dependency on int_build_months #}
    {%- set condition = rebuilt_month ~ ' >= ' ~ first_month_rebuilt() if rebuilt_month
        else fact_rebuilt_condition(rebuilt_by, lookback_days | int) %}
    {{ adapter.dispatch('test_relationships', 'dbt')(
        '(select * from ' ~ model ~ ' where ' ~ condition ~ ')', column_name, to, field) }}
    {%- endif %}
{% endtest %}
