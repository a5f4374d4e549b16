with

source as (

    select * from {{ ref('ref_funding_sources') }}

),

renamed as (

    select
        -- ids
        cast(funding_source_code as text) as funding_source_code,
        cast(rollup_code as text) as rollup_code,

        -- classification
        cast(budget_level as text) as budget_level,
        cast(capital_type as text) as capital_type,

        -- names
        cast(name_vi as text) as name_vi,
        cast(name_en as text) as name_en,
        cast(form_header_vi as text) as form_header_vi,
        cast(sort_order as integer) as sort_order

    from source

)

select * from renamed
