with

source as (

    select * from {{ ref('ref_reporting_calendars') }}

),

renamed as (

    select
        -- ids (unit_code null = the whole province)
        cast(province_code as text) as province_code,
        cast(unit_code as text) as unit_code,
        cast(year as integer) as calendar_year,
        cast(report_kind as text) as report_kind,

        -- rule
        cast(frequency as text) as frequency,
        cast(district_due_day as integer) as district_due_day,
        cast(province_due_day as integer) as province_due_day,
        cast(due_date as date) as due_date,
        cast(period_covered as text) as period_covered,

        -- provenance
        cast(source as text) as source

    from source

)

select * from renamed
