-- Grain: one row per province × component that has a lead agency (the bridge BI joins through
-- province_code: each province names its own lead agency per component).

with

lead_agencies as (

    select * from {{ ref('stg_reference__lead_agencies') }}

),

final as (

    select
        -- ids
        province_code,
        component_code,
        lead_agency_code,

        -- names
        agency_name_vi,
        agency_name_en,

        -- provenance
        source

    from lead_agencies

)

select * from final
