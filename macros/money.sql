{% macro money(expression) -%}
    {#- A sum of decimal(18,2) amounts is decimal(38,2) in DuckDB, stored as 128-bit integers:
        at a million customers reading one such column of a customer-month table took seconds
        where a bigint or date column took a fraction of a second. Stored amounts are cast back
        (a value too large for 18 digits fails the build instead of overflowing). -#}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
