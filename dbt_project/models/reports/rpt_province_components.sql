-- Grain: one row per province × component of the program catalogs × span of the province's lead
-- agency for it: the components a province's report lists, with the agency that leads each over
-- lead_agency_valid_from..lead_agency_valid_to (dim_component_lead_agency; a reused province code
-- is another province, so an agency holds only on its own days), plus one row with no span that
-- names the catalog's default agency, for the days the province names none. A report of month M
-- reads the catalogs in force in M (QĐ 90's until its carried-over capital is spent, the
-- 2026-2035 program's from 2026) and, per component, the agency span holding in M, else the
-- default row.

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

led as (

    select
        provinces.province_code,
        components.component_code,
        lead_agencies.lead_agency_code,
        lead_agencies.agency_name_vi as lead_agency_vi,
        lead_agencies.valid_from as lead_agency_valid_from,
        lead_agencies.valid_to as lead_agency_valid_to
    from components
    cross join provinces
    inner join lead_agencies
        on
            components.component_code = lead_agencies.component_code
            and provinces.province_code = lead_agencies.province_code

    union all

    select
        provinces.province_code,
        components.component_code,
        components.lead_agency_code,
        components.lead_agency_name_vi as lead_agency_vi,
        cast(null as date) as lead_agency_valid_from,
        cast(null as date) as lead_agency_valid_to
    from components
    cross join provinces

),

final as (

    select
        -- ids
        led.province_code,
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

        -- who leads it in the province, and over which days (none: the catalog's default)
        led.lead_agency_code,
        led.lead_agency_vi,
        led.lead_agency_valid_from,
        led.lead_agency_valid_to

    from components
    inner join led
        on components.component_code = led.component_code

)

select * from final
