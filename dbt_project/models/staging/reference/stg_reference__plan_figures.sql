with

source as (

    select * from {{ ref('ref_plan_figures') }}

),

renamed as (

    select
        -- ids
        cast(figure_id as text) as figure_id,
        cast(province_code as text) as province_code,
        cast(unit_code as text) as unit_code,
        cast(component_code as text) as component_code,
        cast(funding_source_code as text) as funding_source_code,

        -- what the figure is
        cast(plan_year as integer) as plan_year,
        cast(capital_year as integer) as capital_year,
        cast(figure_kind as text) as figure_kind,
        cast(budget_level as text) as budget_level,
        cast(row_role as text) as row_role,
        cast(is_leaf as boolean) as is_leaf,

        -- amounts
        cast(amount_as_written as text) as amount_as_written,
        cast(amount_unit as text) as amount_unit,
        cast(amount_vnd as numeric(20, 0)) as amount_vnd,

        -- the days it applies to, inside one version of unit_code (codes are reused)
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,

        -- provenance
        cast(source as text) as source,
        cast(note as text) as note

    from source

)

select * from renamed
