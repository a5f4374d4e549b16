-- Grain: one row per administrative unit version (unit_code × valid_from), type-2 history.
-- A 2024 report joins the version valid in 2024, even after units merged or were renamed, and
-- a code names different units before and after the reform of 2025-07-01 (82: Tiền Giang, then
-- Đồng Tháp): join on the code AND the validity. current_province_* is the province the unit
-- belongs to today (int_admin_units_with_current_province), for trends across the reform.

with

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

current_provinces as (

    select * from {{ ref('int_admin_units_with_current_province') }}

),

provinces_in_force as (

    select
        unit_code,
        unit_name
    from units
    where
        unit_level = 'province'
        and valid_to is null

),

final as (

    select
        -- ids
        {{ admin_unit_key('units.unit_code', 'units.valid_from') }} as admin_unit_key,
        units.unit_code,

        -- names and tree
        units.unit_name,
        units.unit_type,
        units.unit_level,
        units.parent_unit_code,
        units.province_code,

        -- validity
        units.valid_from,
        units.valid_to,
        units.valid_to is null as is_current,

        -- provenance
        units.source,

        -- today's province (for trends across the reform)
        current_provinces.current_province_code,
        provinces_in_force.unit_name as current_province_name

    from units
    left join current_provinces
        on
            units.unit_code = current_provinces.unit_code
            and units.valid_from = current_provinces.valid_from
    left join provinces_in_force
        on current_provinces.current_province_code = provinces_in_force.unit_code

)

select * from final
