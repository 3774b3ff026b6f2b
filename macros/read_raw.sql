{#- Reading the raw contract (models/staging/raw/_raw__sources.yml) into typed rows.

    A raw entity folder may hold CSV and Parquet files side by side, which one external
    location glob cannot express; raw_files lists the folder at run time and read_raw unions
    read_csv and read_parquet over the files it is given. Every contract column comes out as
    <column> (parsed to the contract's data_type, null when empty, absent or unparsable) and
    <column>_text, the trimmed text as read only where <column> does not give it back (it did not
    parse, or it reads differently, e.g. '12.5' as 12.50); raw_text() is the text as read. A file
    column already of the contract's type (typed Parquet) is taken as it is, without a round
    trip through text, and its _text is null. -#}

{% macro raw_contract_columns(source_relation) %}
    {%- if not execute -%}
        {#- dbt's graph is empty while parsing; only dependencies matter then -#}
        {{ return([]) }}
    {%- endif -%}
    {%- for node in graph.sources.values()
            if node.source_name == 'raw'
            and node.name == source_relation.identifier -%}
        {{ return(node.columns.values() | list) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source " ~ source_relation.identifier ~ " in the raw contract") }}
{% endmacro %}


{% macro contract_meta(column) %}
    {{ return(column.config.meta if column.config and column.config.meta else column.meta) }}
{% endmacro %}


{% macro raw_key_column(source_relation) %}
    {%- for column in raw_contract_columns(source_relation) if contract_meta(column).key -%}
        {{ return(column.name) }}
    {%- endfor -%}
{% endmacro %}


{% macro parse_contract_value(text, data_type) %}
    {%- if data_type == 'varchar' -%}
        {{ text }}
    {%- elif data_type == 'date' -%}
        {#- a date may arrive as a timestamp at midnight -#}
        coalesce({{ dbt.safe_cast(text, 'date') }}, cast({{ dbt.safe_cast(text, 'timestamp') }} as date))
    {%- else -%}
        {{ dbt.safe_cast(text, data_type) }}
    {%- endif -%}
{% endmacro %}


{% macro raw_text(column) -%}
    {#- the column's trimmed text as read (null when empty or absent) -#}
    {%- if column.data_type == 'varchar' -%}
        {{ column.name }}
    {%- else -%}
        coalesce({{ column.name }}_text, cast({{ column.name }} as varchar))
    {%- endif -%}
{%- endmacro %}


{% macro raw_text_is_missing(name) -%}
    ({{ name }} is null and {{ name }}_text is null)
{%- endmacro %}


{% macro raw_files(entity) %}
    {#- The entity's files with size and modification time (read_blob lists them without reading
        their content), in name order; a structural problem stops the build here. -#}
    {%- set folder = var('raw_dir') ~ '/' ~ entity -%}
    {#- files in the folder and its subfolders (e.g. one per month); dot names are skipped -#}
    {%- set listing = run_query("select filename, size, cast(make_timestamp(epoch_us(last_modified)) as varchar) from read_blob('"
                                ~ folder ~ "/**') order by filename") -%}
    {%- set files = [] -%}
    {%- for row in listing.rows -%}
        {%- set path = row[0] -%}
        {%- set parts = path[folder | length + 1:].split('/') -%}
        {%- set extension = parts[-1].split('.')[-1].lower() -%}
        {%- set hidden = [] -%}
        {%- for part in parts if part.startswith('.') -%}{%- do hidden.append(part) -%}{%- endfor -%}
        {%- if hidden -%}
        {%- elif extension in ('csv', 'parquet') -%}
            {%- do files.append({'path': path, 'format': extension, 'size': row[1] | int, 'modified': row[2]}) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error("raw file " ~ path ~ " is neither .csv nor .parquet; move it out of " ~ folder) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if not files -%}
        {{ exceptions.raise_compiler_error("raw entity '" ~ entity ~ "' has no .csv or .parquet file in " ~ folder) }}
    {%- endif -%}
    {{ return(files) }}
{% endmacro %}


{% macro read_raw(source_relation, files) %}
    {#- the rows of the given files (entries of raw_files) -#}
    {%- set entity = source_relation.identifier -%}
    {%- set columns = raw_contract_columns(source_relation) -%}
    {%- set readers = [] -%}
    {%- if execute -%}
        {%- set quoted = {} -%}
        {%- for fmt in ['csv', 'parquet'] -%}
            {%- set paths = files | selectattr('format', 'equalto', fmt) | map(attribute='path') | list -%}
            {%- if paths -%}
            {%- do quoted.update({fmt: "['" ~ paths | join("', '") ~ "']"}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if quoted.csv -%}
            {#- line numbers: the header is line 1; ordinality follows the files' order. The dialect
                is the contract's (comma, double quotes doubled inside, as `kam check-raw` reads the
                header): given, DuckDB skips sniffing each file, 4-7x faster on 36 small files -#}
            {%- do readers.append({
                'from': "read_csv(" ~ quoted.csv ~ ", header = true, delim = ',', quote = '\"', escape = '\"', "
                        ~ "all_varchar = true, union_by_name = true, filename = true) with ordinality",
                'row': "ordinality - min(ordinality) over (partition by filename) + 2"}) -%}
        {%- endif -%}
        {%- if quoted.parquet -%}
            {%- do readers.append({
                'from': "read_parquet(" ~ quoted.parquet ~ ", union_by_name = true, filename = true, file_row_number = true)",
                'row': "file_row_number + 1"}) -%}
        {%- endif -%}
    {%- endif %}
    select
        {%- for column in columns %}
        {{ column.name }},
        case when {{ column.name }}__read is not null
            and ({{ column.name }} is null or cast({{ column.name }} as varchar) <> {{ column.name }}__read)
            then {{ column.name }}__read end as {{ column.name }}_text,
        {%- endfor %}
        _source_file,
        _source_row
    from (
        select
            {%- for column in columns %}
            coalesce({{ column.name }}__typed, {{ parse_contract_value(column.name ~ '__read', column.data_type) }}) as {{ column.name }},
            {{ column.name }}__read,
            {%- endfor %}
            _source_file,
            _source_row
        from (
        {%- for reader in readers %}
            {%- set file_types = {} %}
            {%- for row in run_query("describe select * from " ~ reader.from).rows %}
                {%- do file_types.update({row[0]: row[1] | lower}) %}
            {%- endfor %}
            {%- if not loop.first %}
            union all
            {%- endif %}
            select
                {%- for column in columns %}
                {%- set text = "nullif(trim(cast(" ~ column.name ~ " as varchar)), '')" %}
                {%- if column.name not in file_types and contract_meta(column).required %}
                {{ exceptions.raise_compiler_error("raw " ~ entity ~ ": required column '" ~ column.name ~ "' is missing from every file; run `kam check-raw` for the file-by-file list") }}
                {%- elif column.name not in file_types %}
                cast(null as {{ column.data_type }}) as {{ column.name }}__typed, cast(null as varchar) as {{ column.name }}__read,
                {%- elif column.data_type == 'varchar' %}
                {{ text }} as {{ column.name }}__typed, cast(null as varchar) as {{ column.name }}__read,
                {%- elif file_types[column.name] == column.data_type | lower %}
                {{ column.name }} as {{ column.name }}__typed, cast(null as varchar) as {{ column.name }}__read,
                {%- else %}
                cast(null as {{ column.data_type }}) as {{ column.name }}__typed, {{ text }} as {{ column.name }}__read,
                {%- endif %}
                {%- endfor %}
                filename as _source_file,
                {{ reader.row }} as _source_row
            from {{ reader.from }}
        {%- else %}
            {#- no file to read (or parse time, when only the shape matters) -#}
            select
                {%- for column in columns %}
                cast(null as {{ column.data_type }}) as {{ column.name }}__typed, cast(null as varchar) as {{ column.name }}__read,
                {%- endfor %}
                cast(null as varchar) as _source_file,
                cast(null as bigint) as _source_row
            where false
        {%- endfor %}
        ) as file_rows
    ) as parsed_rows
{% endmacro %}
