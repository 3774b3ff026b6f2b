-- Which industries lose the most accounts this quarter (the methodology: which kind, when)?
with latest as (
    select max(month_end) as month_end from {{ ref('churn_rates_monthly') }}
)

select
    rates.dimension_value as industry,
    sum(rates.n_churned) as accounts_churned,
    sum(rates.revenue_12m_churned) as trailing_revenue_churned,
    sum(rates.n_churned) * 1.0 / nullif(max(rates.n_accounts_start), 0) as churn_rate_vs_base
from {{ ref('churn_rates_monthly') }} as rates
cross join latest
where rates.dimension = 'industry'
    and {{ dbt.date_trunc('quarter', 'rates.month_end') }} = {{ dbt.date_trunc('quarter', 'latest.month_end') }}
group by rates.dimension_value
order by accounts_churned desc
