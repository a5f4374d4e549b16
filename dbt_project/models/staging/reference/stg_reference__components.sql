with

source as (

    select * from {{ ref('ref_components') }}

),

renamed as (

    select
        -- ids
        cast(component_code as text) as component_code,
        cast(project_code as text) as project_code,
        cast(subproject_no as integer) as subproject_no,

        -- tree
        cast(component_level as text) as component_level,
        cast(is_leaf as boolean) as is_leaf,

        -- names
        cast(name_vi as text) as name_vi,
        cast(name_en as text) as name_en,
        cast(sort_order as integer) as sort_order

    from source

)

select * from renamed
