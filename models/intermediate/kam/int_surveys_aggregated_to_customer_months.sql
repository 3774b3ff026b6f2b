{{ config(materialized='incremental', unique_key='month_end', incremental_strategy='months_rebuilt') }}

with surveys as (
    select * from {{ ref('fct_surveys') }}
    where {{ is_month_rebuilt('survey_month_end') }}
),

exits as (
    -- the latest exit survey of the month and its reason
    select
        customer_id,
        survey_month_end as month_end,
        survey_date as last_exit_survey_date,
        churn_reason_code as last_exit_reason_code,
        row_number() over (
            partition by customer_id, survey_month_end order by survey_date desc, response_id desc
        ) as nth_latest
    from surveys
    where survey_type = 'exit'
),

by_month as (
    select
        customer_id,
        survey_month_end as month_end,
        count(*) as n_responses,
        max(case when survey_type = 'relationship' then survey_date end) as last_relationship_survey_date
    from surveys
    group by 1, 2
),

final as (
    select
        by_month.customer_id,
        by_month.month_end,
        by_month.n_responses,
        by_month.last_relationship_survey_date,
        exits.last_exit_survey_date,
        exits.last_exit_reason_code
    from by_month
    left join exits
        on by_month.customer_id = exits.customer_id
        and by_month.month_end = exits.month_end
        and exits.nth_latest = 1
)

select * from final
{{ in_month_order() }}
