{{ config(materialized='incremental', incremental_strategy='facts_rebuilt', rebuilt_by='survey_date') }}

with surveys as (
    select * from {{ ref('stg_raw__surveys') }}
    where {{ is_fact_rebuilt('survey_date') }}
),

final as (
    select
        response_id,
        customer_id,
        survey_date,
        cast({{ dbt.last_day('survey_date', 'month') }} as date) as survey_month_end,
        survey_type,
        nps_score,
        -- NPS: promoters score 9-10, detractors 0-6
        case
            when nps_score >= 9 then 'promoter'
            when nps_score >= 7 then 'passive'
            when nps_score >= 0 then 'detractor'
        end as nps_band,
        csat_score,
        -- CSAT counts the share of 4-5 answers
        case when csat_score is not null then csat_score >= 4 end as is_csat_satisfied,
        quality_score,
        delivery_score,
        service_score,
        price_score,
        churn_reason_code,
        comment
    from surveys
)

select * from final
