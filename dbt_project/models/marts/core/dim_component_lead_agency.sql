-- Grain: one row per province × component × span of days (valid_from..valid_to, null = in force)
-- with a lead agency: the bridge BI joins through province_code and the period (each province
-- names its own lead agency per component; a reused province code is another province).

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

        -- the days it holds
        valid_from,
        valid_to,

        -- provenance
        basis,
        source

    from lead_agencies

)

select * from final
