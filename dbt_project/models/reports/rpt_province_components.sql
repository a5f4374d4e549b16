-- Grain: one row per province × component of the program catalogs: the components a province's
-- report lists, with the province agency that leads each (dim_component_lead_agency; the
-- catalog's default agency where the province names none) and the program's validity, so that a
-- report of month M reads the catalogs in force in M (QĐ 90's until its carried-over capital is
-- spent, the 2026-2035 program's from 2026).

with

components as (

    select * from {{ ref('dim_component') }}

),

provinces as (

    select distinct unit_code as province_code
    from {{ ref('dim_admin_unit') }}
    where unit_level = 'province'

),

lead_agencies as (

    select * from {{ ref('dim_component_lead_agency') }}

),

final as (

    select
        -- ids
        provinces.province_code,
        components.component_code,
        components.project_code,
        components.subproject_no,

        -- the catalog
        components.is_leaf,
        components.name_vi,
        components.name_en,
        components.sort_order,
        components.program_valid_from,
        components.program_valid_to,

        -- who leads it in the province
        coalesce(lead_agencies.lead_agency_code, components.lead_agency_code) as lead_agency_code,
        coalesce(lead_agencies.agency_name_vi, components.lead_agency_name_vi) as lead_agency_vi

    from components
    cross join provinces
    left join lead_agencies
        on
            components.component_code = lead_agencies.component_code
            and provinces.province_code = lead_agencies.province_code

)

select * from final
