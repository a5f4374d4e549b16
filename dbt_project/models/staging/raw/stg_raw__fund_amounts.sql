with

source as (

    select * from {{ source('raw', 'fund_amounts') }}

),

renamed as (

    select
        -- ids
        submission_id,
        cast(capital_year as integer) as capital_year,
        component_code,
        funding_source_code,

        -- amounts (whole VND)
        plan_amount_vnd,
        disbursed_cumulative_vnd,

        -- flags
        {{ is_correction_note('note') }} as is_correction,

        -- lineage: where in the file the values were typed
        sheet_name,
        row_number as source_row_number,
        plan_cell,
        disbursed_cell,
        label_as_written,
        note

    from source

)

select * from renamed
