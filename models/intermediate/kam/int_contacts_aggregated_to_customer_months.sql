-- Each customer month's contacts, and its complaints whose follow-up week ended in it (judged
-- in the month the answer is known). Month by month: each month's contacts and complaints due
-- are read by a range on their date, which the facts' zone maps narrow to that month (they
-- are stored in time order), and grouped by customer.
{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}

with contacts as {{ not_materialized() }} (
    select * from {{ ref('fct_contacts') }}
),

final as (
    {%- for month in months_rebuilt() %}
    select
        customer_id,
        {{ date_literal(month) }} as month_end,
        cast(sum(n_contacts) as bigint) as n_contacts,
        cast(sum(n_visits) as bigint) as n_visits,
        cast(sum(n_calls) as bigint) as n_calls,
        cast(sum(n_complaints) as bigint) as n_complaints,
        max(last_contact_date) as last_contact_date,
        max(last_complaint_date) as last_complaint_date,
        cast(sum(n_complaints_due) as bigint) as n_complaints_due,
        cast(sum(n_complaints_followed_up) as bigint) as n_complaints_followed_up
    from (
        select
            customer_id,
            1 as n_contacts,
            case when is_visit then 1 else 0 end as n_visits,
            case when is_call then 1 else 0 end as n_calls,
            case when is_complaint then 1 else 0 end as n_complaints,
            contact_date as last_contact_date,
            case when is_complaint then contact_date end as last_complaint_date,
            0 as n_complaints_due,
            0 as n_complaints_followed_up
        from contacts
        where {{ in_month('contact_date', month) }}
        union all
        select
            customer_id,
            0 as n_contacts,
            0 as n_visits,
            0 as n_calls,
            0 as n_complaints,
            cast(null as date) as last_contact_date,
            cast(null as date) as last_complaint_date,
            1 as n_complaints_due,
            case when is_followed_up_in_time then 1 else 0 end as n_complaints_followed_up
        from contacts
        where is_complaint
            and {{ in_month('follow_up_due_date', month) }}
    ) as month_contacts
    group by customer_id
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
)

select * from final
