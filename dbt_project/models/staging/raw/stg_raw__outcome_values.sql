with

source as (

    select * from {{ source('raw', 'outcome_values') }}

),

renamed as (

    select
        -- ids
        submission_id,
        indicator_code,

        -- values
        target_value,
        actual_in_month,
        actual_cumulative,

        -- lineage: where in the file the values were typed
        sheet_name,
        row_number as source_row_number,
        target_cell,
        actual_in_month_cell,
        actual_cumulative_cell,
        label_as_written,
        note

    from source

)

select * from renamed
