{#- Landing raw files (models/staging/raw/landed/): each landed_raw__<entity> table holds every
    row of the entity's files as read, with the checks that depend on the row and its file set
    only (the contract's, plus the model's own). It is incremental by file: a build reads only
    files that are new since the last build, as long as every file landed before is still there
    with the same size and modification time (the quick check make and rsync use) and the new
    files sort after them, so that a key's first occurrence stays where a full read would put it.
    Otherwise the entity is read again from all its files. Checks that depend on other entities
    or on today's date run in base_raw__<entity> (checked_raw), on every build. -#}

{% macro landing_plan(source_relation, landed_relation) %}
    {#- {'files': the files to read, 'reload': whether the rows landed before are replaced} -#}
    {%- if not execute -%}
        {{ return({'files': [], 'reload': true}) }}
    {%- endif -%}
    {%- set files = raw_files(source_relation.identifier) -%}
    {%- if not is_incremental() -%}
        {{ return({'files': files, 'reload': true}) }}
    {%- endif -%}
    {%- set landed = {} -%}
    {%- for row in run_query("select _source_file, any_value(_source_file_size), "
                             ~ "cast(any_value(_source_file_modified) as varchar) from "
                             ~ landed_relation ~ " group by _source_file").rows -%}
        {%- do landed.update({row[0]: (row[1] | int, row[2])}) -%}
    {%- endfor -%}
    {%- set now = {} -%}
    {%- for file in files -%}{%- do now.update({file.path: (file.size, file.modified)}) -%}{%- endfor -%}
    {%- set new = files | rejectattr('path', 'in', landed.keys() | list) | list -%}
    {%- set changed = [] -%}
    {%- for path, stamp in landed.items() if now.get(path) != stamp -%}{%- do changed.append(path) -%}{%- endfor -%}
    {%- set last_landed = landed.keys() | max if landed else '' -%}
    {%- set out_of_order = new | selectattr('path', 'lt', last_landed) | list -%}
    {%- if changed or out_of_order -%}
        {%- do log(source_relation.identifier ~ ": " ~ (changed | length) ~ " file(s) changed or gone, "
                   ~ (out_of_order | length) ~ " new file(s) sorting before landed ones: reading all files", info=true) -%}
        {{ return({'files': files, 'reload': true}) }}
    {%- endif -%}
    {{ return({'files': new, 'reload': false}) }}
{% endmacro %}


{% macro land_raw(source_relation, checks=[]) %}
    {#- the landed rows of the files the plan reads; checks: the model's own row checks, after the contract's -#}
    {%- set plan = landing_plan(source_relation, this) -%}
    {%- set key = raw_key_column(source_relation) -%}
    {%- set files = plan.files -%}
{#- raw_rows is read once per use: held, every row read spilled to disk at scale and took
    longer than reading the typed Parquet again #}
with raw_rows as {{ not_materialized() }} (
    {{ read_raw(source_relation, files) }}
),

repeated_keys as (
    -- keys read more than once{{ " or landed before" if not plan.reload }}, with their landed count:
    -- only their rows need numbering (a window over every row would sort them all)
    select {{ key }}, max(n_landed) as n_landed
    from (
        select {{ key }}, 0 as n_landed
        from raw_rows
        where {{ key }} is not null
        group by {{ key }}
        having count(*) > 1
        {%- if not plan.reload %}
        union all
        select {{ key }}, count(*) as n_landed
        from {{ this }}
        where {{ key }} in (select {{ key }} from raw_rows)
        group by {{ key }}
        {%- endif %}
    ) as keys
    group by {{ key }}
),

numbered as (
    select raw_rows.*, case when {{ key }} is not null then 1 end as _key_occurrence
    from raw_rows
    where {{ key }} is null or {{ key }} not in (select {{ key }} from repeated_keys)
    union all
    select
        raw_rows.*,
        row_number() over (partition by raw_rows.{{ key }} order by _source_file, _source_row)
            + repeated_keys.n_landed as _key_occurrence
    from raw_rows
    inner join repeated_keys on raw_rows.{{ key }} = repeated_keys.{{ key }}
),

file_stamps as (
    {%- for file in files %}
    select '{{ file.path }}' as _source_file, {{ file.size }} as _source_file_size,
        cast('{{ file.modified }}' as {{ dbt.type_timestamp() }}) as _source_file_modified
    {{- " union all" if not loop.last }}
    {%- else %}
    select cast(null as varchar) as _source_file, cast(null as bigint) as _source_file_size,
        cast(null as {{ dbt.type_timestamp() }}) as _source_file_modified
    where false
    {%- endfor %}
)

select
    numbered.*,
    file_stamps._source_file_size,
    file_stamps._source_file_modified,
    {{ raw_row_hash(source_relation) }} as _row_hash,
    -- the dbt run that landed the row: landed_raw__customer_ids groups only the new rows
    '{{ invocation_id }}' as _landed_by,
    {{ quarantine_reason(contract_checks(source_relation) + checks, 'landed') }}
from numbered
inner join file_stamps on numbered._source_file = file_stamps._source_file
{%- endmacro %}


{% macro raw_row_hash(source_relation) -%}
    {#- a hash of a raw row as read (its contract columns' values and the text where that is not
        their value's; not the file it came from), stored when the row lands -#}
    {%- set columns = [] -%}
    {%- for column in raw_contract_columns(source_relation) -%}
        {%- do columns.append(column.name) -%}
        {%- do columns.append(column.name ~ '_text') -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('row_hash', 'kam')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    {#- DuckDB's and Spark's hash() both take any number of columns -#}
    hash({{ columns | join(', ') }})
{%- endmacro %}


{% macro get_incremental_files_landed_sql(arg_dict) %}
    {#- append the rows of new files, or replace all rows when the plan read every file -#}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set source_relation = source('raw', arg_dict['target_relation'].identifier.replace('landed_raw__', '')) -%}
    {%- if landing_plan(source_relation, arg_dict['target_relation']).reload %}
    delete from {{ arg_dict['target_relation'] }};
    {%- endif %}
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}


{% macro checked_raw(source_relation, landed_relation, customers=none, customer_ids=none) %}
    {#- every landed row with the first reason it fails: its landing checks first, then the
        contract's dates in the future (today moves), then, given the staged customers and
        landed_raw__customer_ids, whether its customer is known (customers change without this
        entity's files changing). The rows are joined to the ids that no staged customer has,
        usually none, so each row's id is looked up in an empty table: joined to every
        customer, the orders' 46M ids took 2.6 s a read at 1M customers. -#}
    {%- set checks = future_date_checks(source_relation) -%}
    {%- if customers -%}
        {%- do checks.append(["unknown_customers.unknown_customer_id is not null", "unknown_customer", "customer_id"]) -%}
    {%- endif %}
select
    landed.*,
    {{ quarantine_reason(checks, 'quarantine', first='landed') }}
from {{ landed_relation }} as landed
{%- if customers %}
left join (
    select customer_ids.customer_id as unknown_customer_id
    from {{ customer_ids }} as customer_ids
    left join {{ customers }} as customers on customer_ids.customer_id = customers.customer_id
    where customers.customer_id is null
) as unknown_customers
    on landed.customer_id = unknown_customers.unknown_customer_id
{%- endif %}
{%- endmacro %}


{% macro landed_rows_kept(entities) %}
    {#- whether each entity's landed table still holds rows an earlier dbt run landed, so that
        this run only appended to it: landing reads an entity again in full when one of its
        files changed or went (rows may be gone then), and an entity without rows may have lost
        them -#}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for entity in entities -%}
        {%- set kept = run_query("select 1 from " ~ ref('landed_raw__' ~ entity)
                                 ~ " where _landed_by <> '" ~ invocation_id ~ "' limit 1") -%}
        {%- if kept.rows | length == 0 -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}


{% macro landed_row_dates() %}
    {#- per entity with a customer, the date a landed row is counted at in int_build_months
        (see there) -#}
    {{ return({
        'orders': 'least(order_date, due_date, paid_date)',
        'contacts': 'contact_date',
        'surveys': 'survey_date',
    }) }}
{% endmacro %}
