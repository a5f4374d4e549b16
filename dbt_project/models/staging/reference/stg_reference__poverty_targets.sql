with

source as (

    select * from {{ ref('ref_poverty_targets') }}

),

renamed as (

    select
        -- ids
        cast(year as integer) as plan_year,
        cast(province_code as text) as province_code,
        cast(unit_code as text) as unit_code,
        cast(unit_name_as_written as text) as unit_name_as_written,

        -- start of the year (the previous year's review)
        cast(poor_households_start as integer) as poor_households_start,
        cast(poverty_rate_start_pct as numeric(9, 4)) as poverty_rate_start_pct,

        -- targets for the end of the year
        cast(target_reduction_households as integer) as target_reduction_households,
        cast(target_poor_households_end as integer) as target_poor_households_end,
        cast(target_rate_end_pct as numeric(9, 4)) as target_rate_end_pct,

        -- provenance
        cast(source as text) as source

    from source

)

select * from renamed
