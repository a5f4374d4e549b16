with

source as (

    select * from {{ ref('ref_reporting_calendars') }}

),

renamed as (

    select
        -- ids (unit_code null = the whole province)
        cast(province_code as text) as province_code,
        cast(unit_code as text) as unit_code,
        cast(report_kind as text) as report_kind,

        -- validity: the reporting months (or plan years) the rule is in force for
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,

        -- rule: the data window, the submission deadline and the consolidation deadline apart
        cast(frequency as text) as frequency,
        cast(data_window_start_day as integer) as data_window_start_day,
        cast(data_window_end_day as integer) as data_window_end_day,
        cast(submission_due_day as integer) as submission_due_day,
        cast(consolidation_due_day as integer) as consolidation_due_day,
        cast(day_count as text) as day_count,
        cast(due_date as date) as due_date,
        cast(period_covered as text) as period_covered,

        -- provenance
        cast(basis as text) as basis,
        cast(source as text) as source

    from source

)

select * from renamed
