-- Receivables as monthly changes, so a running sum gives the balance at each month end using
-- only payments made by then: an invoice opens at its order date and closes by the amount paid
-- at the payment date; it is overdue from the day after its due date until paid. The months
-- rebuilt get every event dated in them, whichever order's month it came from; an invoice whose
-- events (order, paid, the day after due) all fall before them is not read.
{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}

with invoices as (
    select * from {{ ref('fct_orders') }}
    where is_completed and has_payment_terms
        {%- if is_incremental() or not execute %}
        {%- set before_rebuilt = first_month_rebuilt(lookback_months=1) %}
        -- each date compared as it is (the day after due falls in them when due falls on the
        -- day before them or later), not the month of their greatest: 6 s over every order at 1M
        and (order_date > {{ before_rebuilt }} or due_date >= {{ before_rebuilt }} or paid_date > {{ before_rebuilt }})
        {%- endif %}
),

events as (
    select customer_id, order_date as event_date, revenue as receivable_change,
        0 as overdue_change, 0 as n_invoices_due, 0 as n_invoices_paid_on_time
    from invoices
    union all
    select customer_id, paid_date, -paid_amount, 0, 0, 0
    from invoices where paid_date is not null
    union all
    select customer_id, {{ dbt.dateadd('day', 1, 'due_date') }}, 0, revenue, 0, 0
    from invoices
    union all
    select customer_id,
        case when paid_date > due_date then paid_date else {{ dbt.dateadd('day', 1, 'due_date') }} end,
        0, -paid_amount, 0, 0
    from invoices where paid_date is not null
    union all
    -- whether an invoice was paid on time is known on its due date
    select customer_id, due_date, 0, 0, 1, case when is_paid_on_time then 1 else 0 end
    from invoices
),

event_months as (
    select *, cast({{ dbt.last_day('event_date', 'month') }} as date) as month_end
    from events
),

final as (
    select
        customer_id,
        month_end,
        {{ money('sum(receivable_change)') }} as receivable_change,
        {{ money('sum(overdue_change)') }} as overdue_change,
        cast(sum(n_invoices_due) as bigint) as n_invoices_due,
        cast(sum(n_invoices_paid_on_time) as bigint) as n_invoices_paid_on_time
    from event_months
    where {{ is_month_rebuilt('month_end') }}
    group by 1, 2
)

select * from final
{{ in_month_order() }}
