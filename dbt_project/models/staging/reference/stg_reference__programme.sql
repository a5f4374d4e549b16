with

source as (

    select * from {{ ref('ref_programme') }}

),

renamed as (

    select
        -- ids
        cast(programme_code as text) as programme_code,

        -- names
        cast(name_vi as text) as programme_name_vi,
        cast(name_en as text) as programme_name_en,

        -- the phase: its first year bounds the capital vintages a report may state
        cast(start_year as integer) as start_year,
        cast(end_year as integer) as end_year,

        -- provenance
        cast(source as text) as source

    from source

)

select * from renamed
