-- Which accounts are slipping away, which are gone, and why (non-contractual churn: judged
-- against each account's own buying rhythm, confirmed by exit surveys).
-- Incremental: the months rebuilt continue from this table's row for the month before them
-- (its status, its last order's usual gap and trailing values), so no earlier month is read.
{#- a live account: one that has ordered and is not churned (the one list of live statuses;
    everything else reads is_live or was_live_at_month_start) #}
{%- set live_statuses = "('new', 'active', 'at_risk', 'reactivated')" %}
with customer_months as (
    select * from {{ ref('int_customer_months_summed') }}
    where {{ is_month_rebuilt('month_end') }}
),

order_days as (
    -- for the usual gap at each account's last order; an incremental build reads the days
    -- after the months kept (an earlier last order's gap is the one stored the month before)
    select * from {{ ref('int_order_days_gapped') }}
    {%- if is_incremental() %}
    where order_date > {{ first_month_rebuilt(lookback_months=1) }}
    {%- endif %}
),

churn_reasons as (
    select * from {{ ref('churn_reasons') }}
),

predictions as (
    select * from {{ ref('int_customer_months_clv_predicted') }}
    where {{ is_month_rebuilt('month_end') }}
),

{%- if is_incremental() %}

previous as (
    -- the month before the first month rebuilt, as stored
    select
        customer_id as previous_customer_id,
        status as previous_status,
        -- reactivated is an active month after a churned one
        case when status = 'reactivated' then 'active' else status end as previous_gap_status,
        expected_gap_days as previous_expected_gap_days,
        revenue_12m_at_last_order as previous_revenue_12m_at_last_order,
        gross_profit_12m_at_last_order as previous_gross_profit_12m_at_last_order
    from {{ this }}
    where month_end = {{ first_month_rebuilt(lookback_months=1) }}
),
{%- endif %}

rhythm as (
    select
        customer_months.customer_id,
        customer_months.month_end,
        customer_months.first_order_date,
        customer_months.last_order_date,
        customer_months.n_orders,
        customer_months.last_exit_survey_date,
        customer_months.last_exit_reason_code,
        customer_months.last_complaint_date,
        customer_months.revenue_12m,
        customer_months.gross_profit_12m,
        cast({{ dbt.last_day('customer_months.last_order_date', 'month') }} as date) as last_order_month_end,
        {{ dbt.datediff('customer_months.last_order_date', 'customer_months.month_end', 'day') }}
            as days_since_last_order,
        -- too few orders to know the account's rhythm: the policy default gap
        case
            {%- if is_incremental() %}
            when customer_months.last_order_date <= {{ first_month_rebuilt(lookback_months=1) }}
                then previous.previous_expected_gap_days
            {%- endif %}
            when order_days.n_order_days_to_date >= {{ var('churn_min_orders') }} then order_days.usual_gap_days
            else {{ var('churn_default_gap_days') }}
        end as expected_gap_days
        {%- if is_incremental() %},
        previous.previous_status,
        previous.previous_gap_status,
        previous.previous_revenue_12m_at_last_order,
        previous.previous_gross_profit_12m_at_last_order
        {%- endif %}
    from customer_months
    left join order_days
        on customer_months.customer_id = order_days.customer_id
        and customer_months.last_order_date = order_days.order_date
    {%- if is_incremental() %}
    left join previous on customer_months.customer_id = previous.previous_customer_id
    {%- endif %}
),

assessed as (
    select
        *,
        greatest({{ var('churn_after_days') }}, 2 * expected_gap_days) as churn_after_days,
        last_exit_survey_date > last_order_date as has_exit_survey_since_last_order,
        case
            when first_order_date is null then 'prospect'
            when {{ dbt.date_trunc('month', 'first_order_date') }} = {{ dbt.date_trunc('month', 'month_end') }}
                then 'new'
            when n_orders > 0 then 'active'
            -- an exit survey marks churn whatever the gap
            when last_exit_survey_date > last_order_date then 'churned'
            when days_since_last_order > greatest({{ var('churn_after_days') }}, 2 * expected_gap_days)
                then 'churned'
            when days_since_last_order > expected_gap_days then 'at_risk'
            else 'active'
        end as gap_status
    from rhythm
),

statused as (
    select
        *,
        {%- set prior_gap_status = carried(over_months('lag', 'gap_status', 'customer_months'), 'gap_status', 'last') %}
        case
            when gap_status = 'active' and n_orders > 0 and {{ prior_gap_status }} = 'churned' then 'reactivated'
            else gap_status
        end as status,
        {{ prior_gap_status }} as prior_gap_status,
        -- the trailing 12 months at the last order's month (the last month with orders)
        {%- for column in ['revenue_12m', 'gross_profit_12m'] %}
        {{ carried_over_months('last', 'case when n_orders > 0 then ' ~ column ~ ' end', column ~ '_at_last_order',
            'customer_months') }} as {{ column }}_at_last_order{{ ',' if not loop.last }}
        {%- endfor %}
    from assessed
    window customer_months as (partition by customer_id order by month_end)
),

final as (
    select
        statused.customer_id,
        statused.month_end,
        statused.status,
        statused.status in {{ live_statuses }} as is_live,
        {%- set previous_status = carried(over_months('lag', 'statused.status',
            '(partition by statused.customer_id order by statused.month_end)'), 'status', 'last') %}
        {{ previous_status }} as previous_status,
        -- the account base of churn rates: live at the end of the month before
        coalesce({{ previous_status }} in {{ live_statuses }}, false) as was_live_at_month_start,
        statused.status = 'churned' and coalesce(statused.prior_gap_status, '') <> 'churned'
            as is_churn_event,
        statused.first_order_date,
        statused.last_order_date,
        statused.days_since_last_order,
        statused.expected_gap_days,
        statused.churn_after_days,
        statused.has_exit_survey_since_last_order,
        -- the churn month: the month the account stopped being active (its last order's month)
        case when statused.status = 'churned' then statused.last_order_month_end end as churn_month_end,
        case when statused.status = 'churned' then
            coalesce(
                case when statused.has_exit_survey_since_last_order then statused.last_exit_reason_code end,
                case when statused.last_complaint_date
                    >= {{ dbt.dateadd('day', -var('churn_complaint_window_days'), 'statused.last_order_date') }} then 'complaint' end,
                'unknown')
        end as churn_reason_code,
        statused.revenue_12m_at_last_order,
        statused.gross_profit_12m_at_last_order,
        -- what the account brought in its last 12 active months
        case when statused.status = 'churned' then statused.revenue_12m_at_last_order end as revenue_lost_12m,
        case when statused.status = 'churned' then statused.gross_profit_12m_at_last_order end as gross_profit_lost_12m
    from statused
),

typed as (
    select
        final.*,
        case when final.status = 'churned' then coalesce(churn_reasons.churn_type, 'unknown') end as churn_type,
        -- BG/NBD as of this month (see clv_model_params): the model's view next to the rule's
        predictions.p_alive,
        predictions.expected_orders_90d
    from final
    left join churn_reasons on final.churn_reason_code = churn_reasons.churn_reason_code
    left join predictions
        on final.customer_id = predictions.customer_id and final.month_end = predictions.month_end
)

select * from typed
{{ in_month_order() }}
