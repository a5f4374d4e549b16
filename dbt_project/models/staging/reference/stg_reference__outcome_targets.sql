with

source as (

    select * from {{ ref('ref_outcome_targets') }}

),

renamed as (

    select
        -- ids
        cast(province_code as text) as province_code,
        cast(year as integer) as plan_year,
        cast(indicator_code as text) as indicator_code,

        -- target
        cast(target_value as numeric(20, 4)) as target_value,
        cast(target_kind as text) as target_kind,

        -- provenance
        cast(source as text) as source,
        cast(note as text) as note

    from source

)

select * from renamed
