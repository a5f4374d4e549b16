-- Grain: one row per administrative unit version (unit_code × valid_from), type-2 history.
-- A 2024 report joins the version valid in 2024, even after units merged or were renamed.

with

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

final as (

    select
        -- ids
        unit_code || '@' || to_char(valid_from, 'YYYY-MM-DD') as admin_unit_key,
        unit_code,

        -- names and tree
        unit_name,
        unit_type,
        unit_level,
        parent_unit_code,
        province_code,

        -- validity
        valid_from,
        valid_to,
        valid_to is null as is_current,

        -- provenance
        source

    from units

)

select * from final
