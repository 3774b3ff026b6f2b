-- Which accounts are worth most, month by month: trailing value, RFM, the Pareto curve of
-- gross profit and the value band, payment behaviour and lifecycle stage. Every row ranks
-- accounts within its own month (windows partitioned by month_end).
with customer_months as {{ not_materialized() }} (
    select * from {{ ref('int_customer_months_summed') }}
    where {{ is_month_rebuilt('month_end') }}
),

rfm_segments as (
    select * from {{ ref('rfm_segments') }}
),

predictions as {{ not_materialized() }} (
    select * from {{ ref('int_customer_months_clv_predicted') }}
    where {{ is_month_rebuilt('month_end') }}
),

measured as {{ not_materialized() }} (
    select
        customer_id,
        month_end,
        revenue_12m,
        gross_profit_12m,
        gross_profit_12m / nullif(revenue_12m, 0) as gross_margin_12m,
        n_orders_12m,
        n_months_12m,
        n_orders,
        revenue,
        gross_profit,
        lifetime_orders,
        lifetime_revenue,
        lifetime_gross_profit,
        first_order_date,
        last_order_date,
        {{ dbt.datediff('last_order_date', 'month_end', 'day') }} as recency_days,
        n_orders_12m as frequency_12m,
        gross_profit_12m as monetary_12m,
        open_receivables,
        overdue_receivables,
        n_invoices_due_12m,
        n_invoices_paid_on_time_12m,
        cast(n_invoices_paid_on_time_12m as double) / nullif(n_invoices_due_12m, 0) as on_time_payment_share_12m,
        coalesce(signed_date, first_order_date) as contract_date,
        first_full_payment_date,
        greatest(gross_profit_12m, 0) as positive_gross_profit_12m,
        -- bands and the Pareto curve rank the accounts that bought in the trailing 12 months
        n_orders_12m > 0 as is_valued
    from customer_months
),

ranked as {{ not_materialized() }} (
    -- ranked on the columns the windows need, then joined back: each window sorts its input,
    -- and at a million customers sorting all 27 columns four times cost 24 s more
    select
        customer_id as ranked_customer_id,
        month_end as ranked_month_end,
        row_number() over profit_order as profit_rank,
        count(*) over month_all as n_customers_in_month,
        sum(positive_gross_profit_12m) over profit_order as running_positive_gross_profit,
        sum(positive_gross_profit_12m) over month_all as total_positive_gross_profit,
        -- RFM quintiles among accounts that have ordered; ties share a score
        case when last_order_date is not null then
            cast(ceil(5 * cume_dist() over (
                partition by month_end, last_order_date is not null order by recency_days desc)) as integer)
        end as r_score,
        case when last_order_date is not null then
            cast(ceil(5 * cume_dist() over (
                partition by month_end, last_order_date is not null order by n_orders_12m)) as integer)
        end as f_score,
        case when last_order_date is not null then
            cast(ceil(5 * cume_dist() over (
                partition by month_end, last_order_date is not null order by gross_profit_12m)) as integer)
        end as m_score
    from (
        select customer_id, month_end, is_valued, gross_profit_12m, positive_gross_profit_12m,
            last_order_date, recency_days, n_orders_12m
        from measured
    ) as ranking_columns
    window
        month_all as (partition by month_end, is_valued),
        profit_order as (
            partition by month_end, is_valued order by gross_profit_12m desc, customer_id asc
            rows between unbounded preceding and current row
        )
),

banded as {{ not_materialized() }} (
    select
        measured.*,
        ranked.*,
        -- the Pareto curve over positive profit: monotonic, ends at 1
        case when measured.is_valued then
            cast(ranked.running_positive_gross_profit as double) / nullif(ranked.total_positive_gross_profit, 0)
        end as cumulative_profit_share,
        case when measured.is_valued then cast(ranked.profit_rank as double) / ranked.n_customers_in_month end
            as cumulative_customer_share,
        case
            when not measured.is_valued then null
            -- the methodology's 20/60/20: the bottom band costs more than it brings
            when measured.gross_profit_12m < {{ var('cost_to_serve_12m') }} then 'C'
            -- the top accounts that together make 80% of profit (the one crossing 80% included)
            when cast(ranked.running_positive_gross_profit - measured.positive_gross_profit_12m as double)
                < {{ var('value_band_a_share') }} * ranked.total_positive_gross_profit then 'A'
            else 'B'
        end as value_band,
        cast(ceil((ranked.f_score + ranked.m_score) / 2.0) as integer) as fm_score
    from measured
    inner join ranked
        on measured.customer_id = ranked.ranked_customer_id and measured.month_end = ranked.ranked_month_end
),

final as (
    select
        banded.customer_id,
        banded.month_end,
        banded.revenue_12m,
        banded.gross_profit_12m,
        banded.gross_margin_12m,
        banded.n_orders_12m,
        banded.n_months_12m,
        banded.n_orders,
        banded.revenue,
        banded.gross_profit,
        banded.lifetime_orders,
        banded.lifetime_revenue,
        banded.lifetime_gross_profit,
        banded.first_order_date,
        banded.last_order_date,
        banded.recency_days,
        banded.frequency_12m,
        banded.monetary_12m,
        banded.r_score,
        banded.f_score,
        banded.m_score,
        banded.fm_score,
        coalesce(rfm_segments.rfm_segment, 'Prospect') as rfm_segment,
        case when banded.is_valued then banded.profit_rank end as profit_rank,
        banded.cumulative_customer_share,
        banded.cumulative_profit_share,
        banded.value_band,
        banded.n_invoices_due_12m,
        banded.n_invoices_paid_on_time_12m,
        banded.on_time_payment_share_12m,
        banded.open_receivables,
        banded.overdue_receivables,
        case
            when banded.first_order_date is not null and banded.n_orders_12m = 0 then 'lapsed'
            when banded.contract_date is null or banded.contract_date > banded.month_end then 'prospect'
            when banded.first_full_payment_date is null
                or banded.first_full_payment_date > banded.month_end then 'target'
            -- qualified: every invoice due in the last 12 months paid in full on time
            when banded.n_invoices_due_12m > 0
                and banded.n_invoices_paid_on_time_12m = banded.n_invoices_due_12m
                and banded.overdue_receivables <= 0 then 'qualified'
            else 'signed'
        end as lifecycle_stage,
        -- Gamma-Gamma spend x lifetime margin, and the discounted 12-month CLV (BG/NBD)
        predictions.expected_avg_order_profit,
        predictions.clv_12m
    from banded
    left join rfm_segments
        on banded.r_score = rfm_segments.r_score and banded.fm_score = rfm_segments.fm_score
    left join predictions
        on banded.customer_id = predictions.customer_id and banded.month_end = predictions.month_end
)

select * from final
{{ in_month_order() }}
