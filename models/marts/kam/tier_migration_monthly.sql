-- Accounts moving from tier to tier, month over month.
with tiers as (
    select * from {{ ref('customer_tier_monthly') }}
    where {{ is_month_rebuilt('month_end') }}
),

previous as (
    select customer_id, month_end, tier_rank
    from {{ ref('customer_tier_monthly') }}
    where {{ is_month_rebuilt('month_end', lookback_months=1) }}
),

final as (
    select
        tiers.month_end,
        coalesce(tiers.previous_tier, '(new)') as from_tier,
        previous.tier_rank as from_tier_rank,
        tiers.tier as to_tier,
        tiers.tier_rank as to_tier_rank,
        tiers.tier_change,
        cast(count(*) as bigint) as n_accounts
    from tiers
    left join previous
        on tiers.customer_id = previous.customer_id
        and previous.month_end = cast({{ dbt.last_day(dbt.dateadd('month', -1, 'tiers.month_end'), 'month') }} as date)
    group by 1, 2, 3, 4, 5, 6
)

select * from final
