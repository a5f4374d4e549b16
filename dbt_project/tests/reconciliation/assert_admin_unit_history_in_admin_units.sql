-- Every recorded unit version of ref_admin_unit_history is also a version of ref_admin_units
-- (same code, name, level, parent and validity): dim_admin_unit is built from the latter.

select
    history.unit_code,
    history.unit_name,
    history.valid_from,
    history.valid_to,
    units.unit_name as unit_name_in_admin_units,
    units.valid_to as valid_to_in_admin_units
from {{ ref('ref_admin_unit_history') }} as history
left join {{ ref('stg_reference__admin_units') }} as units
    on
        cast(history.unit_code as text) = units.unit_code
        and cast(history.valid_from as date) = units.valid_from
where
    units.unit_code is null
    or units.unit_name <> cast(history.unit_name as text)
    or units.unit_level <> cast(history.unit_level as text)
    or units.parent_unit_code is distinct from cast(history.parent_unit_code as text)
    or units.valid_to is distinct from cast(history.valid_to as date)
