-- Which raw files carry bad rows, and why (for the people who send the data)?
select
    entity,
    source_file,
    reason_code,
    column_name,
    count(*) as rows_quarantined,
    min(source_row) as first_row
from {{ ref('stg_raw__quarantined_rows') }}
group by entity, source_file, reason_code, column_name
order by rows_quarantined desc
