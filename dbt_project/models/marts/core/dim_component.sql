-- Grain: one row per component of a program's catalog: QĐ 90's projects DA1..DA7 and
-- sub-projects such as DA3.TDA1 (capital 2021–2025, carried-over capital included), and the
-- 2026–2035 program's (catalog_status provisional until its final structure is in the sources).
-- lead_agency_code is the default: the agency leading the component in the most provinces (ties:
-- the first agency code); for a project without its own rows, the agency shared by all its
-- sub-projects, else null. Per-province agencies: dim_component_lead_agency.

with

components as (

    select * from {{ ref('stg_reference__components') }}

),

lead_agencies as (

    select * from {{ ref('stg_reference__lead_agencies') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

agency_votes as (

    select
        component_code,
        lead_agency_code,
        agency_name_vi,
        count(distinct province_code) as n_provinces
    from lead_agencies
    group by component_code, lead_agency_code, agency_name_vi

),

own_default as (

    select distinct on (component_code)
        component_code,
        lead_agency_code,
        agency_name_vi
    from agency_votes
    order by component_code asc, n_provinces desc, lead_agency_code asc

),

project_default as (

    select
        components.project_code as component_code,
        min(own_default.lead_agency_code) as lead_agency_code,
        min(own_default.agency_name_vi) as agency_name_vi
    from components
    inner join own_default
        on components.component_code = own_default.component_code
    where components.component_level = 'subproject'
    group by components.project_code
    having count(distinct own_default.lead_agency_code) = 1

),

final as (

    select
        -- ids
        components.component_code,
        components.project_code,
        components.subproject_no,

        -- tree
        components.component_level,
        components.is_leaf,

        -- names
        components.name_vi,
        components.name_en,
        components.sort_order,

        -- default lead agency
        coalesce(own_default.lead_agency_code, project_default.lead_agency_code) as lead_agency_code,
        coalesce(own_default.agency_name_vi, project_default.agency_name_vi) as lead_agency_name_vi,

        -- the program whose catalog it belongs to
        components.program_code,
        programs.program_name_vi,
        programs.capital_year_from,
        programs.capital_year_to,
        programs.valid_from as program_valid_from,
        programs.valid_to as program_valid_to,
        components.catalog_status,
        components.source as catalog_source

    from components
    inner join programs
        on components.program_code = programs.program_code
    left join own_default
        on components.component_code = own_default.component_code
    left join project_default
        on components.component_code = project_default.component_code

)

select * from final
