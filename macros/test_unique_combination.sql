{#- Generic test: the columns together identify one row (dbt-core has no multi-column unique).
    rebuilt_month: the month column of a monthly model rebuilt by month (months_rebuilt) whose
    key includes it; after an incremental build only the months it rebuilt are checked, since a
    duplicate shares its month and the months kept passed this test in the build that wrote them. -#}
{% test unique_combination(model, columns, rebuilt_month=none) %}
    select {{ columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    {%- if rebuilt_month and not (flags.FULL_REFRESH and execute) %}
    {#- also while parsing, so that dbt records the dependency on int_build_months #}
    where {{ rebuilt_month }} >= {{ first_month_rebuilt() }}
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
