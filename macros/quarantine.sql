{#- Quarantine: a raw row that cannot be used is kept with the first reason it fails, never
    dropped. Checks are [condition, reason_code, column] triples, tested in order; reason codes
    are listed in seeds/quarantine_reasons.csv. -#}

{% macro contract_checks(source_relation) %}
    {#- The checks the contract's column meta asks for that depend on the row alone (and its
        key's earlier occurrences), key checks first. -#}
    {%- set key = raw_key_column(source_relation) -%}
    {%- set checks = [
        [raw_text_is_missing(key), "missing_key", key],
        ["_key_occurrence > 1", "duplicate_key", key],
    ] -%}
    {%- for column in raw_contract_columns(source_relation) -%}
        {%- set meta = contract_meta(column) -%}
        {%- set name = column.name -%}
        {%- if meta.not_null and not meta.key -%}
            {%- do checks.append([raw_text_is_missing(name), "missing_value", name]) -%}
        {%- endif -%}
        {%- if column.data_type != 'varchar' -%}
            {%- set kind = 'date' if column.data_type in ('date', 'timestamp') else
                           'boolean' if column.data_type == 'boolean' else 'number' -%}
            {%- do checks.append([name ~ "_text is not null and " ~ name ~ " is null", "unparsable_" ~ kind, name]) -%}
        {%- endif -%}
        {%- if meta.accepted_values -%}
            {%- do checks.append([name ~ " not in ('" ~ meta.accepted_values | join("', '") ~ "')", "invalid_code", name]) -%}
        {%- endif -%}
        {%- if 'min' in meta and 'max' in meta -%}
            {%- do checks.append([name ~ " not between " ~ meta.min ~ " and " ~ meta.max, "score_out_of_range", name]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(checks) }}
{% endmacro %}


{% macro future_date_checks(source_relation) %}
    {#- the contract's dates that may not lie in the future: checked on every build, as today moves -#}
    {%- set checks = [] -%}
    {%- for column in raw_contract_columns(source_relation) if contract_meta(column).not_in_future -%}
        {%- do checks.append(["cast(" ~ column.name ~ " as date) > current_date", "future_date", column.name]) -%}
    {%- endfor -%}
    {{ return(checks) }}
{% endmacro %}


{% macro quarantine_reason(checks, prefix='quarantine', first=none) %}
    {#- <prefix>_reason and <prefix>_column of the first check a row fails; first: the prefix of
        reason and column columns found earlier, which come before these checks -#}
        case
            {%- if first %}
            when {{ first }}_reason is not null then {{ first }}_reason
            {%- endif %}
            {%- for check in checks %}
            when {{ check[0] }} then '{{ check[1] }}'
            {%- endfor %}
        end as {{ prefix }}_reason,
        case
            {%- if first %}
            when {{ first }}_reason is not null then {{ first }}_column
            {%- endif %}
            {%- for check in checks %}
            when {{ check[0] }} then '{{ check[2] }}'
            {%- endfor %}
        end as {{ prefix }}_column
{% endmacro %}


{% macro raw_row_json(source_relation) %}
    {#- the row as it was read, for the quarantine -#}
    json_object(
        {%- for column in raw_contract_columns(source_relation) %}
        '{{ column.name }}', {{ raw_text(column) }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{% endmacro %}
