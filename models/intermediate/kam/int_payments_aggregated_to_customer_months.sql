-- Receivables as monthly changes, so a running sum gives the balance at each month end using
-- only payments made by then: an invoice opens at its order date and closes by the amount paid
-- at the payment date; it is overdue from the day after its due date until paid.
-- Month by month: each month's events are read by a range on the date they come from, which
-- the order-dated fact table's zone maps narrow to that month's rows, and grouped by customer.
-- At 1M customers the full build took 60 s grouping all 216M events at once, 20 s this way;
-- a one-month build no longer scans every order for the invoices with an event in it.
{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}
{#- each event: [the invoice date it comes from, days after that date, which invoices have it,
    receivable change, overdue change, invoices due, invoices due paid on time]. Overdue ends at
    the payment, or the day after due when paid by then; whether an invoice was paid on time is
    known on its due date. -#}
{%- set events = [
    ['order_date', 0, 'true', 'revenue', '0', '0', '0'],
    ['paid_date', 0, 'true', '-paid_amount', '0', '0', '0'],
    ['due_date', 1, 'true', '0', 'revenue', '0', '0'],
    ['paid_date', 0, 'paid_date > due_date', '0', '-paid_amount', '0', '0'],
    ['due_date', 1, 'paid_date <= due_date', '0', '-paid_amount', '0', '0'],
    ['due_date', 0, 'true', '0', '0', '1', 'case when is_paid_on_time then 1 else 0 end'],
] %}

with invoices as {{ not_materialized() }} (
    select * from {{ ref('fct_orders') }}
    where is_completed and has_payment_terms
),

final as (
    {%- for month in months_rebuilt() %}
    select
        customer_id,
        {{ date_literal(month) }} as month_end,
        {{ money('sum(receivable_change)') }} as receivable_change,
        {{ money('sum(overdue_change)') }} as overdue_change,
        cast(sum(n_invoices_due) as bigint) as n_invoices_due,
        cast(sum(n_invoices_paid_on_time) as bigint) as n_invoices_paid_on_time
    from (
        {%- for column, days_after, condition, receivable, overdue, due, on_time in events %}
        select customer_id, {{ receivable }} as receivable_change, {{ overdue }} as overdue_change,
            {{ due }} as n_invoices_due, {{ on_time }} as n_invoices_paid_on_time
        from invoices
        where {{ in_month(column, month, days_after) }}
            and {{ condition }}
        {{- "\n        union all" if not loop.last }}
        {%- endfor %}
    ) as month_events
    group by customer_id
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
)

select * from final
