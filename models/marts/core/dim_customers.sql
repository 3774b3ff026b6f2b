-- The customer profile ("customer DNA"): who the account is, where it stands now, and how to
-- approach its decision maker.
with customers as (
    select * from {{ ref('stg_raw__customers') }}
),

latest_month as (
    select max(month_end) as month_end from {{ ref('int_reporting_months') }}
),

value as (
    select value.* from {{ ref('customer_value_monthly') }} as value
    inner join latest_month on value.month_end = latest_month.month_end
),

tiers as (
    select tiers.* from {{ ref('customer_tier_monthly') }} as tiers
    inner join latest_month on tiers.month_end = latest_month.month_end
),

churn as (
    select churn.* from {{ ref('customer_churn_monthly') }} as churn
    inner join latest_month on churn.month_end = latest_month.month_end
),

decision_makers as (
    select customer_id, personality_style from {{ ref('int_contacts_reduced_to_decision_maker_styles') }}
),

styles as (
    select * from {{ ref('personality_styles') }}
),

tier_policy as (
    select * from {{ ref('tier_policy') }}
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        coalesce(customers.industry, 'unknown') as industry,
        coalesce(customers.region, 'unknown') as region,
        customers.city,
        coalesce(customers.channel, 'unknown') as channel,
        coalesce(customers.account_manager, 'unassigned') as account_manager,
        customers.created_date,
        customers.signed_date,
        customers.is_reference_account,
        value.first_order_date,
        value.last_order_date,
        coalesce(value.lifecycle_stage, 'prospect') as lifecycle_stage,
        value.value_band,
        tiers.tier,
        coalesce(tiers.is_key_account, false) as is_key_account,
        churn.status as churn_status,
        -- relationship by what the account seeks (methodology section 4): the tier's (policy:
        -- seed tier_policy), and strategic for reference accounts, whose choice others follow
        case
            when customers.is_reference_account then 'strategic'
            else coalesce(tier_policy.relationship_type, 'transactional')
        end as relationship_type,
        decision_makers.personality_style as decision_maker_style,
        styles.style_name_zh as decision_maker_style_zh,
        styles.recommended_approach
    from customers
    left join value on customers.customer_id = value.customer_id
    left join tiers on customers.customer_id = tiers.customer_id
    left join tier_policy on tiers.tier = tier_policy.tier
    left join churn on customers.customer_id = churn.customer_id
    left join decision_makers on customers.customer_id = decision_makers.customer_id
    left join styles on decision_makers.personality_style = styles.personality_style
)

select * from final
