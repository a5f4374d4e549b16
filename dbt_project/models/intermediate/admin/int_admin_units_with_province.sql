-- Every version of every administrative unit, with the province it belongs to at the time the
-- version starts: a district's parent; a commune's district's parent until the reform of
-- 2025-07-01, its parent itself from then (two tiers: province -> commune). The parent is the
-- version of the parent code valid on that day: codes are reused, a code alone names no unit.

with

units as (

    select * from {{ ref('stg_reference__admin_units') }}

),

parents as (

    select
        unit_code,
        unit_level,
        parent_unit_code,
        valid_from,
        valid_to
    from units

),

with_province as (

    select
        units.unit_code,
        units.unit_name,
        units.unit_type,
        units.unit_level,
        units.parent_unit_code,
        units.valid_from,
        units.valid_to,
        units.source,
        case
            when units.unit_level = 'province' then units.unit_code
            when parents.unit_level = 'province' then parents.unit_code
            else parents.parent_unit_code
        end as province_code

    from units
    left join parents
        on
            units.parent_unit_code = parents.unit_code
            and {{ valid_on('parents', 'units.valid_from') }}

)

select * from with_province
