with contacts as (
    select * from {{ ref('base_raw__contacts') }}
    where quarantine_reason is null
),

final as (
    select
        contact_id,
        customer_id,
        contact_date as contacted_at,
        cast(contact_date as date) as contact_date,
        channel,
        account_manager,
        contact_person,
        contact_role,
        personality_style,
        topic,
        outcome
    from contacts
)

select * from final
