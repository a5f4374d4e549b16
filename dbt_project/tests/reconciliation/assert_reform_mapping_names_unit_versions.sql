-- Every side of a reform link names a version of ref_admin_units (code AND valid_from: codes are
-- reused), of the level it says, ending the day before the reform (or going on, 'continues')
-- and starting on it.

with

links as (

    select * from {{ ref('stg_reference__admin_unit_reform_mapping') }}

),

units as (

    select * from {{ ref('stg_reference__admin_units') }}

)

select
    links.reform_date,
    links.old_unit_code,
    links.old_valid_from,
    links.new_unit_code,
    links.new_valid_from,
    links.link
from links
left join units as old_units
    on
        links.old_unit_code = old_units.unit_code
        and links.old_valid_from = old_units.valid_from
left join units as new_units
    on
        links.new_unit_code = new_units.unit_code
        and links.new_valid_from = new_units.valid_from
where
    (
        links.old_unit_code is not null
        and (
            old_units.unit_code is null
            or old_units.unit_level <> links.old_unit_level
            or old_units.valid_to is distinct from links.old_valid_to
            or (links.link <> 'continues' and old_units.valid_to <> links.reform_date - 1)
        )
    )
    or (
        links.new_unit_code is not null
        and (
            new_units.unit_code is null
            or new_units.unit_level <> links.new_unit_level
            or (links.link <> 'continues' and new_units.valid_from <> links.reform_date)
        )
    )
