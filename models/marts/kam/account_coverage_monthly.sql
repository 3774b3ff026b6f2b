-- Do managers visit and call as often as each tier requires? Per manager and tier, over the
-- accounts live that month. The coverage rate is the share of the accounts owed contact (their
-- tier owes a visit or a call) that got what their tier requires: a ratio of the two counts
-- stored here, so a manager's rate over all tiers is sum(met) / sum(owed).
with tiers as (
    select * from {{ ref('customer_tier_monthly') }}
    where {{ is_month_rebuilt('month_end') }}
),

churn as (
    select * from {{ ref('customer_churn_monthly') }}
),

customer_months as (
    select * from {{ ref('int_customer_months_summed') }}
),

live_accounts as (
    select
        tiers.*,
        customer_months.n_complaints
    from tiers
    inner join churn
        on tiers.customer_id = churn.customer_id and tiers.month_end = churn.month_end
    inner join customer_months
        on tiers.customer_id = customer_months.customer_id and tiers.month_end = customer_months.month_end
    where churn.is_live
),

final as (
    select
        month_end,
        coalesce(account_manager, 'unassigned') as account_manager,
        tier,
        min(tier_rank) as tier_rank,
        max(case when is_key_account then 1 else 0 end) = 1 as is_key_account_tier,
        cast(count(*) as bigint) as n_accounts,
        cast(sum(count(*)) over (partition by month_end, coalesce(account_manager, 'unassigned')) as bigint)
            as n_accounts_of_manager,
        cast(sum(visits_owed_per_quarter) as bigint) as visits_owed_per_quarter,
        cast(sum(visits_delivered_3m) as bigint) as visits_delivered_3m,
        cast(sum(calls_owed_per_month) as bigint) as calls_owed_per_month,
        cast(sum(calls_delivered) as bigint) as calls_delivered,
        cast(sum(case when is_owed_contact then 1 else 0 end) as bigint) as n_accounts_owed_contact,
        cast(sum(case when is_owed_contact and is_coverage_met then 1 else 0 end) as bigint)
            as n_accounts_coverage_met,
        cast(sum(case when is_owed_contact and is_coverage_met then 1 else 0 end) as double)
            / nullif(sum(case when is_owed_contact then 1 else 0 end), 0) as coverage_rate,
        cast(sum(n_complaints) as bigint) as n_complaints,
        cast(sum(n_complaints_due) as bigint) as n_complaints_due,
        cast(sum(n_complaints_followed_up) as bigint) as n_complaints_followed_up_in_time
    from live_accounts
    group by 1, 2, 3
)

select * from final
