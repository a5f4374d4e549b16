with

source as (

    select * from {{ ref('ref_lead_agencies') }}

),

renamed as (

    select
        -- ids
        cast(province_code as text) as province_code,
        cast(component_code as text) as component_code,
        cast(agency_code as text) as lead_agency_code,

        -- names
        cast(agency_name_vi as text) as agency_name_vi,
        cast(agency_name_en as text) as agency_name_en,

        -- the days it holds, inside one version of province_code (codes are reused)
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,

        -- provenance
        cast(basis as text) as basis,
        cast(source as text) as source

    from source

)

select * from renamed
