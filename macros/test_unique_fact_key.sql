{#- Generic test: dbt's unique, for a fact table rebuilt by date (facts_rebuilt). After an
    incremental build it looks up only the keys of the rows that build rebuilt, against the
    whole table: the rows it kept passed this test in the build that wrote them, and grouping
    every key of a fact table costs most of a small build (19 s for fct_orders at 1M customers).
    rebuilt_by and lookback_days repeat the model's rebuilt_by and rebuilt_lookback_days. -#}
{% test unique_fact_key(model, column_name, rebuilt_by, lookback_days=0) %}
    {%- if flags.FULL_REFRESH and execute %}
    {{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
    {%- else %}
    {#- also while parsing, so that dbt records the dependency on int_build_months #}
    with rebuilt_keys as (
        select {{ column_name }} as rebuilt_key
        from {{ model }}
        where {{ fact_rebuilt_condition(rebuilt_by, lookback_days | int) }}
    )

    select {{ column_name }} as unique_field, count(*) as n_records
    from {{ model }}
    where {{ column_name }} in (select rebuilt_key from rebuilt_keys)
    group by {{ column_name }}
    having count(*) > 1
    {%- endif %}
{% endtest %}
