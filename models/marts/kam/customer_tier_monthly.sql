-- Which tier each account is in, why, and the service it is owed against what it got.
-- A tier looks back to the previous month and to its year's key-account list month: an
-- incremental build reads those months' tiers as stored (at its list month an account's tier is
-- its assessment) instead of assessing them again.
with customer_months as (
    select * from {{ ref('int_customer_months_summed') }}
    where {{ is_month_rebuilt('month_end') }}
),

value as (
    select * from {{ ref('customer_value_monthly') }}
    where {{ is_month_rebuilt('month_end') }}
),

list_months as (
    -- the annual list is set in the first month of each calendar year that has data
    select
        {{ dbt.date_trunc('year', 'month_end') }} as list_year,
        min(month_end) as list_month_end
    from {{ ref('int_reporting_months') }}
    group by 1
),

tier_policy as (
    select
        *,
        -- a tier runs from its own threshold up to the next tier's
        lag(min_monthly_spend) over (order by tier_rank) as next_tier_min_monthly_spend
    from {{ ref('tier_policy') }}
),

policy_edges as (
    select
        max(case when tier_group = 'key_account' then tier_rank end) as lowest_key_account_rank,
        min(case when tier_group = 'commercial' then tier_rank end) as top_commercial_rank
    from tier_policy
),

spend as (
    select
        customer_months.customer_id,
        customer_months.month_end,
        customer_months.account_manager,
        customer_months.is_reference_account,
        customer_months.n_visits_3m,
        customer_months.n_calls,
        customer_months.last_contact_date,
        customer_months.n_complaints_due,
        customer_months.n_complaints_followed_up,
        customer_months.last_relationship_survey_date,
        value.value_band,
        value.revenue_12m,
        value.gross_profit_12m,
        value.n_orders_12m,
        -- monthly spend: trailing revenue over the months the account has had (up to 12)
        value.revenue_12m / greatest(value.n_months_12m, 1) as monthly_spend
    from customer_months
    inner join value
        on customer_months.customer_id = value.customer_id
        and customer_months.month_end = value.month_end
),

spend_tiers as (
    select
        spend.*,
        tier_policy.tier_rank as spend_tier_rank,
        tier_policy.tier_group as spend_tier_group
    from spend
    inner join tier_policy
        on spend.monthly_spend >= tier_policy.min_monthly_spend
        and (tier_policy.next_tier_min_monthly_spend is null
            or spend.monthly_spend < tier_policy.next_tier_min_monthly_spend)
),

assessed as (
    select
        spend_tiers.*,
        case
            -- reference accounts are key accounts for their influence, even when small
            when spend_tiers.is_reference_account and spend_tiers.spend_tier_group = 'commercial'
                then policy_edges.lowest_key_account_rank
            when spend_tiers.is_reference_account then spend_tiers.spend_tier_rank
            -- profit, not revenue: a big buyer that brings no profit is not a key account
            when spend_tiers.spend_tier_group = 'key_account' and spend_tiers.value_band = 'C' then policy_edges.top_commercial_rank
            -- a one-off big order is not a key account
            when spend_tiers.spend_tier_group = 'key_account' and spend_tiers.n_orders_12m < {{ var('key_account_min_orders_12m') }}
                then policy_edges.top_commercial_rank
            else spend_tiers.spend_tier_rank
        end as assessed_tier_rank,
        case
            when spend_tiers.is_reference_account then 'reference_account'
            when spend_tiers.spend_tier_group = 'key_account' and spend_tiers.value_band = 'C' then 'no_profit'
            when spend_tiers.spend_tier_group = 'key_account' and spend_tiers.n_orders_12m < {{ var('key_account_min_orders_12m') }}
                then 'one_off_buyer'
            else 'spend_level'
        end as assessed_reason,
        list_months.list_month_end
    from spend_tiers
    cross join policy_edges
    inner join list_months on {{ dbt.date_trunc('year', 'spend_tiers.month_end') }} = list_months.list_year
),

list_assessments as (
    -- the list months' assessments only: the join below builds its table from these rows
    select customer_id, month_end, assessed_tier_rank from assessed
    where assessed.month_end = assessed.list_month_end
    {%- if is_incremental() %}
    union all
    select customer_id, month_end, tier_rank from {{ this }}
    where month_end in (select list_months.list_month_end from list_months)
        and month_end >= {{ first_month_rebuilt(lookback_months=11) }}
        and month_end < {{ first_month_rebuilt() }}
    {%- endif %}
),

listed as (
    select
        assessed.*,
        list_assessment.assessed_tier_rank as list_tier_rank,
        policy_edges.lowest_key_account_rank,
        policy_edges.top_commercial_rank
    from assessed
    cross join policy_edges
    left join list_assessments as list_assessment
        on assessed.customer_id = list_assessment.customer_id
        and assessed.list_month_end = list_assessment.month_end
),

tiered as (
    select
        listed.*,
        {%- if var('key_account_list') == 'annual' %}
        -- the "private plot": the key-account list is fixed for the year at its first month
        case
            when list_tier_rank <= lowest_key_account_rank then list_tier_rank
            when assessed_tier_rank <= lowest_key_account_rank then top_commercial_rank
            else assessed_tier_rank
        end as tier_rank,
        case
            when month_end = list_month_end then assessed_reason
            when list_tier_rank <= lowest_key_account_rank then 'annual_list'
            when assessed_tier_rank <= lowest_key_account_rank then 'not_on_annual_list'
            else assessed_reason
        end as tier_reason
        {%- elif var('key_account_list') == 'monthly' %}
        assessed_tier_rank as tier_rank,
        assessed_reason as tier_reason
        {%- else %}
        {{ exceptions.raise_compiler_error("var key_account_list must be 'annual' or 'monthly', not '" ~ var('key_account_list') ~ "'") }}
        {%- endif %}
    from listed
),

{%- if is_incremental() %}

previous as (
    -- the month before the first month rebuilt, for the tier change
    select customer_id as previous_customer_id, tier as previous_tier, tier_rank as previous_tier_rank
    from {{ this }}
    where month_end = {{ first_month_rebuilt(lookback_months=1) }}
),
{%- endif %}

final as (
    select
        tiered.customer_id,
        tiered.month_end,
        tier_policy.tier,
        tier_policy.tier_rank,
        tier_policy.tier_group,
        tier_policy.tier_group = 'key_account' as is_key_account,
        tiered.tier_reason,
        {{ carried(over_months('lag', 'tier_policy.tier', 'customer_months'), 'tier', 'last') }} as previous_tier,
        {%- set previous_tier_rank = carried(
            over_months('lag', 'tier_policy.tier_rank', 'customer_months'), 'tier_rank', 'last') %}
        case
            when {{ previous_tier_rank }} is null then 'new'
            when tier_policy.tier_rank < {{ previous_tier_rank }} then 'up'
            when tier_policy.tier_rank > {{ previous_tier_rank }} then 'down'
            else 'same'
        end as tier_change,
        tiered.monthly_spend,
        tiered.revenue_12m,
        tiered.gross_profit_12m,
        tiered.n_orders_12m,
        tiered.value_band,
        tiered.is_reference_account,
        tiered.account_manager,
        tier_policy.visits_per_quarter as visits_owed_per_quarter,
        tiered.n_visits_3m as visits_delivered_3m,
        tier_policy.calls_per_month as calls_owed_per_month,
        tiered.n_calls as calls_delivered,
        -- coverage counts the accounts whose tier owes a visit or a call
        tier_policy.visits_per_quarter > 0 or tier_policy.calls_per_month > 0 as is_owed_contact,
        tiered.n_visits_3m >= tier_policy.visits_per_quarter
            and tiered.n_calls >= tier_policy.calls_per_month as is_coverage_met,
        tiered.last_contact_date,
        {{ dbt.datediff('tiered.last_contact_date', 'tiered.month_end', 'day') }} as days_since_last_contact,
        -- complaints whose follow-up week ended this month, and how many were followed up
        tiered.n_complaints_due,
        tiered.n_complaints_followed_up,
        -- the methodology surveys large accounts twice a year
        coalesce(tiered.last_relationship_survey_date
            > {{ dbt.dateadd('month', -6, 'tiered.month_end') }}, false) as is_surveyed_6m
    from tiered
    inner join tier_policy on tiered.tier_rank = tier_policy.tier_rank
    {%- if is_incremental() %}
    left join previous on tiered.customer_id = previous.previous_customer_id
    {%- endif %}
    window customer_months as (partition by tiered.customer_id order by tiered.month_end)
)

select * from final
{{ in_month_order() }}
