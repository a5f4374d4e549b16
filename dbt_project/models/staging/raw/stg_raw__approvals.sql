with

source as (

    select * from {{ source('raw', 'approvals') }}

),

renamed as (

    select
        -- ids
        approval_id,
        action_group,
        unit_code,
        period_month,

        -- what was acted on
        level as approval_level,
        component_code,
        submission_id,

        -- the action
        action,
        comment as approval_comment,
        acted_by,
        agency_code,
        acted_at

    from source

)

select * from renamed
