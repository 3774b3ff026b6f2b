with customers as (
    select * from {{ ref('base_raw__customers') }}
    where quarantine_reason is null
),

final as (
    select
        customer_id,
        customer_name,
        lower(industry) as industry,
        lower(region) as region,
        city,
        channel,
        account_manager,
        created_date,
        signed_date,
        coalesce(is_reference_account, false) as is_reference_account
    from customers
)

select * from final
