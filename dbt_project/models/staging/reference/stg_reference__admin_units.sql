with

source as (

    select * from {{ ref('ref_admin_units') }}

),

renamed as (

    select
        -- ids
        cast(unit_code as text) as unit_code,
        cast(parent_unit_code as text) as parent_unit_code,

        -- names and level
        cast(unit_name as text) as unit_name,
        cast(unit_type as text) as unit_type,
        cast(unit_level as text) as unit_level,

        -- validity (type-2; valid_to null = still valid)
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,

        -- provenance
        cast(source as text) as source

    from source

)

select * from renamed
