-- Grain: one row per leaf funding source (NSTW_DTPT, NSTW_SN, NSDP and its splits, KHAC).

with

funding_sources as (

    select * from {{ ref('stg_reference__funding_sources') }}

),

final as (

    select
        -- ids
        funding_source_code,
        rollup_code,

        -- classification
        budget_level,
        capital_type,

        -- names
        name_vi,
        name_en,
        sort_order

    from funding_sources

)

select * from final
