{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}

with contacts as (
    select * from {{ ref('fct_contacts') }}
),

by_contact_month as (
    select
        customer_id,
        contact_month_end as month_end,
        count(*) as n_contacts,
        sum(case when is_visit then 1 else 0 end) as n_visits,
        sum(case when is_call then 1 else 0 end) as n_calls,
        sum(case when is_complaint then 1 else 0 end) as n_complaints,
        max(contact_date) as last_contact_date,
        max(case when is_complaint then contact_date end) as last_complaint_date,
        0 as n_complaints_due,
        0 as n_complaints_followed_up
    from contacts
    where {{ is_month_rebuilt('contact_month_end') }}
    group by 1, 2
),

-- a complaint's follow-up is judged in the month its week ends, when the answer is known
by_follow_up_month as (
    select
        customer_id,
        cast({{ dbt.last_day('follow_up_due_date', 'month') }} as date) as month_end,
        0 as n_contacts, 0 as n_visits, 0 as n_calls, 0 as n_complaints,
        cast(null as date) as last_contact_date,
        cast(null as date) as last_complaint_date,
        count(*) as n_complaints_due,
        sum(case when is_followed_up_in_time then 1 else 0 end) as n_complaints_followed_up
    from contacts
    where is_complaint
        and {{ is_month_rebuilt(dbt.last_day('follow_up_due_date', 'month')) }}
    group by 1, 2
),

final as (
    select
        customer_id,
        month_end,
        cast(sum(n_contacts) as bigint) as n_contacts,
        cast(sum(n_visits) as bigint) as n_visits,
        cast(sum(n_calls) as bigint) as n_calls,
        cast(sum(n_complaints) as bigint) as n_complaints,
        max(last_contact_date) as last_contact_date,
        max(last_complaint_date) as last_complaint_date,
        cast(sum(n_complaints_due) as bigint) as n_complaints_due,
        cast(sum(n_complaints_followed_up) as bigint) as n_complaints_followed_up
    from (
        select * from by_contact_month
        union all
        select * from by_follow_up_month
    ) as contact_months
    group by 1, 2
)

select * from final
{{ in_month_order() }}
