-- The component catalogs, one seed per program phase (ref_programs): QĐ 90's (ref_components)
-- and the 2026–2035 program's (ref_components_2026_2035, provisional). Codes are unique across them.

with

source as (

    select * from {{ ref('ref_components') }}
    union all
    select * from {{ ref('ref_components_2026_2035') }}

),

renamed as (

    select
        -- ids
        cast(component_code as text) as component_code,
        cast(project_code as text) as project_code,
        cast(subproject_no as integer) as subproject_no,
        cast(program_code as text) as program_code,

        -- tree
        cast(component_level as text) as component_level,
        cast(is_leaf as boolean) as is_leaf,

        -- names
        cast(name_vi as text) as name_vi,
        cast(name_en as text) as name_en,
        cast(sort_order as integer) as sort_order,

        -- provenance: official | provisional
        cast(catalog_status as text) as catalog_status,
        cast(source as text) as source

    from source

)

select * from renamed
