with

source as (

    select * from {{ ref('ref_component_aliases') }}

),

renamed as (

    select
        -- ids
        cast(component_code as text) as component_code,
        cast(unit_code as text) as unit_code,

        -- the label as people write it, and its normalised form for matching
        cast(alias as text) as alias_as_written,
        lower(normalize(trim(cast(alias as text)))) as alias_key,

        -- years the alias applies to (null = open)
        cast(valid_from_year as integer) as valid_from_year,
        cast(valid_to_year as integer) as valid_to_year,

        -- provenance
        cast(source as text) as source

    from source

)

select * from renamed
