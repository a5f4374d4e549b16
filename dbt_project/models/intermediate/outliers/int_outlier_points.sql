-- The figures outliers are looked for in: one row per month × unit × component × funding source
-- × capital year that reported a cumulative, from the increments model (the one rule for the
-- month's disbursement; nothing here computes it again), with the unit version of the month
-- (admin_unit_key: a reused code is another unit) and the position of the capital in the year
-- (0: the year's own capital, 1: carried over from the year before, ...): a series runs across
-- years on that position, so this December's capital is compared with last December's.
-- A table, analysed: the scoring models join it to itself, and over the increments view the
-- planner guessed a few rows and chose nested loops.
--
-- Incremental on (unit_code, period_month), delete+insert, as fct_fund_disbursement (read its
-- header): a run rewrites the unit-months whose version in force changed (a new month, a late
-- correction, a version gone from raw) and the later months of the same unit and year (their
-- increments depend on it), with the rule of macros/monthly_increments.sql over only those
-- versions and this table's own earlier months of the year. dbt_loaded_at says which rows a
-- run rewrote: the scoring models rescore from it. The post-hook removes the unit-months whose
-- version is gone from raw.

-- depends_on: {{ ref('int_submissions_ranked') }}
-- depends_on: {{ ref('int_fund_amounts_latest') }}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['unit_code', 'period_month'],
        on_schema_change='append_new_columns',
        post_hook=[
            "{{ delete_unit_months_out_of_force(this, 'is_current_funds') }}",
            "analyze {{ this }}",
        ],
        indexes=[
            {'columns': ['admin_unit_key', 'component_code', 'funding_source_code']},
            {'columns': ['unit_code', 'period_month']},
            {'columns': ['province_code', 'period_month']},
            {'columns': ['dbt_loaded_at']},
        ],
    )
}}

with

{% if is_incremental() %}

{{ increments_to_rebuild_ctes(this) }},

reported as (

    select * from increments
    where disbursed_cumulative_vnd is not null

),

{% else %}

reported as (

    select * from {{ ref('int_fund_amounts_monthly_increments') }}
    where disbursed_cumulative_vnd is not null

),

{% endif %}

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

final as (

    select
        -- ids
        reported.period_month,
        reported.unit_code,
        {{ admin_unit_key('units.unit_code', 'units.valid_from') }} as admin_unit_key,
        reported.province_code,
        reported.component_code,
        reported.funding_source_code,
        reported.capital_year,
        cast(extract(year from reported.period_month) as integer) - reported.capital_year as capital_year_offset,
        extract(month from reported.period_month) = 12 as is_december,

        -- amounts (whole VND)
        reported.plan_amount_vnd,
        reported.disbursed_cumulative_vnd,
        reported.disbursed_in_month_vnd,

        -- lineage
        reported.submission_id,
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

    from reported
    left join units
        on {{ unit_version_on('units', 'reported.unit_code', 'reported.period_month') }}

)

select * from final
