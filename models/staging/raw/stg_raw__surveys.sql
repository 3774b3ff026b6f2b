with surveys as (
    select * from {{ ref('base_raw__surveys') }}
    where quarantine_reason is null
),

final as (
    select
        response_id,
        customer_id,
        survey_date,
        survey_type,
        nps_score,
        csat_score,
        quality_score,
        delivery_score,
        service_score,
        price_score,
        lower(churn_reason_code) as churn_reason_code,
        comment
    from surveys
)

select * from final
