-- What customers say: NPS (promoters 9-10 minus detractors 0-6), CSAT (share of 4-5),
-- dimension scores, and whether key accounts were surveyed in the last six months (the
-- methodology asks for a survey twice a year), by tier and industry.
{%- set dimensions = {
    'all': "'all'",
    'tier': 'tiers.tier',
    'industry': 'customers.industry',
} %}

with surveys as (
    select * from {{ ref('fct_surveys') }}
    where {{ is_month_rebuilt('survey_month_end') }}
),

tiers as (
    select * from {{ ref('customer_tier_monthly') }}
    where {{ is_month_rebuilt('month_end') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_months as (
    select * from {{ ref('int_customer_months_summed') }}
),

responses as (
    select
        surveys.*,
        {%- for name, expression in dimensions.items() %}
        {{ expression }} as dimension_{{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from surveys
    inner join customers on surveys.customer_id = customers.customer_id
    left join tiers
        on surveys.customer_id = tiers.customer_id and surveys.survey_month_end = tiers.month_end
),

key_accounts as (
    select
        tiers.month_end,
        customer_months.last_relationship_survey_date
            > {{ dbt.dateadd('month', -6, 'tiers.month_end') }} as is_surveyed_6m,
        {%- for name, expression in dimensions.items() %}
        {{ expression }} as dimension_{{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from tiers
    inner join customer_months
        on tiers.customer_id = customer_months.customer_id and tiers.month_end = customer_months.month_end
    inner join customers on tiers.customer_id = customers.customer_id
    where tiers.is_key_account
),

scores as (
    {%- for name in dimensions %}
    select
        survey_month_end as month_end,
        '{{ name }}' as dimension,
        coalesce(dimension_{{ name }}, 'unknown') as dimension_value,
        cast(count(*) as bigint) as n_responses,
        cast(count(nps_score) as bigint) as n_nps_responses,
        cast(sum(case when nps_band = 'promoter' then 1 else 0 end) as bigint) as n_promoters,
        cast(sum(case when nps_band = 'detractor' then 1 else 0 end) as bigint) as n_detractors,
        cast(count(csat_score) as bigint) as n_csat_responses,
        cast(sum(case when is_csat_satisfied then 1 else 0 end) as bigint) as n_csat_satisfied,
        avg(quality_score) as avg_quality_score,
        avg(delivery_score) as avg_delivery_score,
        avg(service_score) as avg_service_score,
        avg(price_score) as avg_price_score
    from responses
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

coverage as (
    {%- for name in dimensions %}
    select
        month_end,
        '{{ name }}' as dimension,
        coalesce(dimension_{{ name }}, 'unknown') as dimension_value,
        cast(count(*) as bigint) as n_key_accounts,
        cast(sum(case when is_surveyed_6m then 1 else 0 end) as bigint) as n_key_accounts_surveyed_6m
    from key_accounts
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        coalesce(scores.month_end, coverage.month_end) as month_end,
        coalesce(scores.dimension, coverage.dimension) as dimension,
        coalesce(scores.dimension_value, coverage.dimension_value) as dimension_value,
        coalesce(scores.n_responses, 0) as n_responses,
        coalesce(scores.n_nps_responses, 0) as n_nps_responses,
        coalesce(scores.n_promoters, 0) as n_promoters,
        coalesce(scores.n_detractors, 0) as n_detractors,
        100.0 * (scores.n_promoters - scores.n_detractors) / nullif(scores.n_nps_responses, 0) as nps,
        coalesce(scores.n_csat_responses, 0) as n_csat_responses,
        coalesce(scores.n_csat_satisfied, 0) as n_csat_satisfied,
        cast(scores.n_csat_satisfied as double) / nullif(scores.n_csat_responses, 0) as csat,
        scores.avg_quality_score,
        scores.avg_delivery_score,
        scores.avg_service_score,
        scores.avg_price_score,
        coalesce(coverage.n_key_accounts, 0) as n_key_accounts,
        coalesce(coverage.n_key_accounts_surveyed_6m, 0) as n_key_accounts_surveyed_6m,
        cast(coverage.n_key_accounts_surveyed_6m as double)
            / nullif(coverage.n_key_accounts, 0) as key_account_survey_coverage
    from scores
    full outer join coverage
        on scores.month_end = coverage.month_end
        and scores.dimension = coverage.dimension
        and scores.dimension_value = coverage.dimension_value
)

select * from final
