-- The figures outliers are looked for in: one row per month × unit × component × funding source
-- × capital year that reported a cumulative, from the increments model (the one rule for the
-- month's disbursement; nothing here computes it again), with the unit version of the month
-- (admin_unit_key: a reused code is another unit) and the position of the capital in the year
-- (0: the year's own capital, 1: carried over from the year before, ...): a series runs across
-- years on that position, so this December's capital is compared with last December's.
-- A table, analysed: the scoring models join it to itself, and over the increments view the
-- planner guessed a few rows and chose nested loops (an incremental build of ~700 districts ×
-- 30 months spent minutes in fct_outlier_flag instead of seconds).

{{
    config(
        materialized='table',
        post_hook=["analyze {{ this }}"],
        indexes=[{'columns': ['admin_unit_key', 'component_code', 'funding_source_code']}],
    )
}}

with

increments as (

    select * from {{ ref('int_fund_amounts_monthly_increments') }}
    where disbursed_cumulative_vnd is not null

),

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

final as (

    select
        -- ids
        increments.period_month,
        increments.unit_code,
        {{ admin_unit_key('units.unit_code', 'units.valid_from') }} as admin_unit_key,
        increments.province_code,
        increments.component_code,
        increments.funding_source_code,
        increments.capital_year,
        cast(extract(year from increments.period_month) as integer) - increments.capital_year as capital_year_offset,
        extract(month from increments.period_month) = 12 as is_december,

        -- amounts (whole VND)
        increments.plan_amount_vnd,
        increments.disbursed_cumulative_vnd,
        increments.disbursed_in_month_vnd,

        -- lineage
        increments.submission_id

    from increments
    left join units
        on {{ unit_version_on('units', 'increments.unit_code', 'increments.period_month') }}

)

select * from final
