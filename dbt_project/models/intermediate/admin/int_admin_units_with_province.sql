-- Every version of every administrative unit, with the province it belongs to at the time the
-- version starts (a commune's province is its district's parent).

with

units as (

    select * from {{ ref('stg_reference__admin_units') }}

),

districts as (

    select
        unit_code,
        parent_unit_code,
        valid_from,
        valid_to
    from units
    where unit_level = 'district'

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
        case units.unit_level
            when 'province' then units.unit_code
            when 'district' then units.parent_unit_code
            else districts.parent_unit_code
        end as province_code

    from units
    left join districts
        on
            units.unit_level = 'commune'
            and units.parent_unit_code = districts.unit_code
            and units.valid_from >= districts.valid_from
            and (districts.valid_to is null or units.valid_from <= districts.valid_to)

)

select * from with_province
