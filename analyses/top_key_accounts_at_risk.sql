-- Which key accounts with the most profit at stake are slipping away this month?
-- Profit at stake = trailing gross profit of accounts that are at risk (or churned this month).
with latest as (
    select max(month_end) as month_end from {{ ref('customer_churn_monthly') }}
)

select
    churn.customer_id,
    customers.customer_name,
    tiers.tier,
    customers.account_manager,
    churn.status,
    churn.days_since_last_order,
    value.gross_profit_12m,
    customers.decision_maker_style,
    customers.recommended_approach
from {{ ref('customer_churn_monthly') }} as churn
inner join latest on churn.month_end = latest.month_end
inner join {{ ref('customer_tier_monthly') }} as tiers
    on churn.customer_id = tiers.customer_id and churn.month_end = tiers.month_end
inner join {{ ref('customer_value_monthly') }} as value
    on churn.customer_id = value.customer_id and churn.month_end = value.month_end
inner join {{ ref('dim_customers') }} as customers on churn.customer_id = customers.customer_id
where tiers.is_key_account
    and (churn.status = 'at_risk' or churn.is_churn_event)
order by value.gross_profit_12m desc
limit 20
