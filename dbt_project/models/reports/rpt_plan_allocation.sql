-- Grain: one row per plan year × unit × component × funding source × capital year of the plans'
-- allocations (figure_kind 'plan'): what the seeds allocate, copied beside the marts so that the
-- report views read published tables only (a view over the seeds would be dropped with them when
-- they are reloaded). A table, not a view, for that reason; it is as small as the seed.

{{ config(materialized='table') }}

with

allocations as (

    select * from {{ ref('stg_reference__plan_figures') }}
    where figure_kind = 'plan'

),

final as (

    select
        -- ids
        plan_year,
        unit_code,
        component_code,
        funding_source_code,
        capital_year,

        -- what the row is
        is_leaf,

        -- amount (whole VND)
        cast(sum(amount_vnd) as numeric(20, 0)) as amount_vnd

    from allocations
    group by plan_year, unit_code, component_code, funding_source_code, capital_year, is_leaf

)

select * from final
