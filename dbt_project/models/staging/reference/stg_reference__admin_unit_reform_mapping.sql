with

source as (

    select * from {{ ref('ref_admin_unit_reform_mapping') }}

),

renamed as (

    select
        -- the reorganisation
        cast(reform_date as date) as reform_date,

        -- the old unit version (null when the evidence reaches no old unit)
        cast(old_unit_code as text) as old_unit_code,
        cast(old_unit_level as text) as old_unit_level,
        cast(old_valid_from as date) as old_valid_from,
        cast(old_valid_to as date) as old_valid_to,

        -- the new unit version (null when the evidence reaches no new unit)
        cast(new_unit_code as text) as new_unit_code,
        cast(new_unit_level as text) as new_unit_level,
        cast(new_valid_from as date) as new_valid_from,

        -- how they are linked: whole | partial | continues | unmatched
        cast(link as text) as link,

        -- provenance
        cast(source as text) as source

    from source

)

select * from renamed
