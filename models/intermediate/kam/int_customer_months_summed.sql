-- Each customer month with its own activity and trailing sums, using only what happened
-- up to that month's end (the spine is dense, so "11 preceding rows" is 12 months).
with customer_months as (
    select * from {{ ref('int_customer_months') }}
),

customers as (
    select * from {{ ref('stg_raw__customers') }}
),

orders as (
    select * from {{ ref('int_orders_aggregated_to_customer_months') }}
),

payments as (
    select * from {{ ref('int_payments_aggregated_to_customer_months') }}
),

contacts as (
    select * from {{ ref('int_contacts_aggregated_to_customer_months') }}
),

surveys as (
    select * from {{ ref('int_surveys_aggregated_to_customer_months') }}
),

first_full_payments as (
    -- the methodology's "signed": contract and first payment received in full
    select
        customer_id,
        min(case when has_payment_terms then paid_date else order_date end) as first_full_payment_date
    from {{ ref('fct_orders') }}
    where is_completed and (is_paid_in_full or not has_payment_terms)
    group by customer_id
),

joined as (
    select
        customer_months.customer_id,
        customer_months.month_start,
        customer_months.month_end,
        customers.account_manager,
        customers.is_reference_account,
        customers.signed_date,
        first_full_payments.first_full_payment_date,
        cast(coalesce(orders.n_orders, 0) as bigint) as n_orders,
        coalesce(orders.revenue, 0) as revenue,
        coalesce(orders.gross_profit, 0) as gross_profit,
        orders.first_order_date as first_order_date_in_month,
        orders.last_order_date as last_order_date_in_month,
        coalesce(payments.receivable_change, 0) as receivable_change,
        coalesce(payments.overdue_change, 0) as overdue_change,
        cast(coalesce(payments.n_invoices_due, 0) as bigint) as n_invoices_due,
        cast(coalesce(payments.n_invoices_paid_on_time, 0) as bigint) as n_invoices_paid_on_time,
        cast(coalesce(contacts.n_contacts, 0) as bigint) as n_contacts,
        cast(coalesce(contacts.n_visits, 0) as bigint) as n_visits,
        cast(coalesce(contacts.n_calls, 0) as bigint) as n_calls,
        cast(coalesce(contacts.n_complaints, 0) as bigint) as n_complaints,
        cast(coalesce(contacts.n_complaints_due, 0) as bigint) as n_complaints_due,
        cast(coalesce(contacts.n_complaints_followed_up, 0) as bigint) as n_complaints_followed_up,
        contacts.last_contact_date as last_contact_date_in_month,
        contacts.last_complaint_date as last_complaint_date_in_month,
        cast(coalesce(surveys.n_responses, 0) as bigint) as n_survey_responses,
        surveys.last_relationship_survey_date as last_relationship_survey_date_in_month,
        surveys.last_exit_survey_date as last_exit_survey_date_in_month,
        surveys.last_exit_reason_code as last_exit_reason_code_in_month
    from customer_months
    inner join customers on customer_months.customer_id = customers.customer_id
    left join first_full_payments on customer_months.customer_id = first_full_payments.customer_id
    left join orders
        on customer_months.customer_id = orders.customer_id and customer_months.month_end = orders.month_end
    left join payments
        on customer_months.customer_id = payments.customer_id and customer_months.month_end = payments.month_end
    left join contacts
        on customer_months.customer_id = contacts.customer_id and customer_months.month_end = contacts.month_end
    left join surveys
        on customer_months.customer_id = surveys.customer_id and customer_months.month_end = surveys.month_end
),

final as (
    select
        customer_id,
        month_start,
        month_end,
        account_manager,
        is_reference_account,
        signed_date,
        first_full_payment_date,
        n_orders,
        revenue,
        gross_profit,
        cast(count(*) over trailing_12 as bigint) as n_months_12m,
        cast(sum(n_orders) over trailing_12 as bigint) as n_orders_12m,
        sum(revenue) over trailing_12 as revenue_12m,
        sum(gross_profit) over trailing_12 as gross_profit_12m,
        cast(sum(n_orders) over to_date as bigint) as lifetime_orders,
        sum(revenue) over to_date as lifetime_revenue,
        sum(gross_profit) over to_date as lifetime_gross_profit,
        min(first_order_date_in_month) over to_date as first_order_date,
        max(last_order_date_in_month) over to_date as last_order_date,
        sum(receivable_change) over to_date as open_receivables,
        sum(overdue_change) over to_date as overdue_receivables,
        cast(sum(n_invoices_due) over trailing_12 as bigint) as n_invoices_due_12m,
        cast(sum(n_invoices_paid_on_time) over trailing_12 as bigint) as n_invoices_paid_on_time_12m,
        n_contacts,
        n_visits,
        n_calls,
        cast(sum(n_visits) over trailing_3 as bigint) as n_visits_3m,
        n_complaints,
        n_complaints_due,
        n_complaints_followed_up,
        max(last_contact_date_in_month) over to_date as last_contact_date,
        max(last_complaint_date_in_month) over to_date as last_complaint_date,
        n_survey_responses,
        max(last_relationship_survey_date_in_month) over to_date as last_relationship_survey_date,
        max(last_exit_survey_date_in_month) over to_date as last_exit_survey_date,
        last_value(last_exit_reason_code_in_month ignore nulls) over to_date as last_exit_reason_code
    from joined
    window
        to_date as (partition by customer_id order by month_end rows between unbounded preceding and current row),
        trailing_12 as (partition by customer_id order by month_end rows between 11 preceding and current row),
        trailing_3 as (partition by customer_id order by month_end rows between 2 preceding and current row)
)

select * from final
