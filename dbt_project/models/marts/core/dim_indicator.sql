-- Grain: one row per outcome indicator of the catalog.

with

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

final as (

    select
        -- ids
        indicator_code,

        -- names and unit
        name_vi,
        name_en,
        unit_vi,

        -- classification
        dimension,
        value_kind,
        sort_order

    from indicators

)

select * from final
