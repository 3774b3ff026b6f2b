-- The RFM summary of BG/NBD and Gamma-Gamma as of each month end (the literature's
-- definitions): frequency = repeat purchase days, recency = days from the first to the last
-- purchase, age T = days from the first purchase to the month end, monetary value = mean
-- revenue of the repeat purchase days; same-day orders are one purchase.
{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}

with customer_months as (
    select * from {{ ref('int_customer_months_summed') }}
    where first_order_date is not null and {{ is_month_rebuilt('month_end') }}
),

order_days as (
    select * from {{ ref('int_order_days_gapped') }}
),

final as (
    select
        customer_months.customer_id,
        customer_months.month_end,
        order_days.n_order_days_to_date - 1 as frequency,
        {{ dbt.datediff('customer_months.first_order_date', 'customer_months.last_order_date', 'day') }} as recency_days,
        {{ dbt.datediff('customer_months.first_order_date', 'customer_months.month_end', 'day') }} as age_days,
        cast((order_days.revenue_to_date - order_days.first_day_revenue) as double)
            / nullif(order_days.n_order_days_to_date - 1, 0) as monetary_value,
        cast(customer_months.lifetime_gross_profit as double)
            / nullif(customer_months.lifetime_revenue, 0) as lifetime_gross_margin
    from customer_months
    inner join order_days
        on customer_months.customer_id = order_days.customer_id
        and customer_months.last_order_date = order_days.order_date
)

select * from final
{{ in_month_order() }}
