with

source as (

    select * from {{ source('raw', 'submission_problems') }}

),

renamed as (

    select
        -- ids
        submission_id,
        problem_no,
        check_code,

        -- severity and place
        severity,
        sheet_name,
        cell,
        value_as_written,

        -- messages (the sender reads these)
        message_vi,
        message_en,
        hint_vi,
        hint_en

    from source

)

select * from renamed
