with

source as (

    select * from {{ ref('ref_programs') }}

),

renamed as (

    select
        -- ids
        cast(program_code as text) as program_code,

        -- names
        cast(name_vi as text) as program_name_vi,
        cast(name_en as text) as program_name_en,

        -- the capital it funds, and the reporting months its catalog is read in
        cast(capital_year_from as integer) as capital_year_from,
        cast(capital_year_to as integer) as capital_year_to,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,

        -- provenance: official | provisional
        cast(catalog_status as text) as catalog_status,
        cast(source as text) as source

    from source

)

select * from renamed
