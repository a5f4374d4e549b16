with

source as (

    select * from {{ ref('ref_indicators') }}

),

renamed as (

    select
        -- ids
        cast(indicator_code as text) as indicator_code,

        -- names and unit
        cast(name_vi as text) as name_vi,
        cast(name_en as text) as name_en,
        cast(unit_vi as text) as unit_vi,

        -- classification
        cast(dimension as text) as dimension,
        cast(value_kind as text) as value_kind,
        cast(sort_order as integer) as sort_order

    from source

)

select * from renamed
