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
            "delete from {{ this }} as loaded
            using {{ distinct_keys(this, ['unit_code', 'period_month'], ['submission_id']) }} as months
            where
                loaded.unit_code = months.unit_code
                and loaded.period_month = months.period_month
                and not exists (
                    select 1 from {{ ref('int_submissions_ranked') }} as versions
                    where versions.submission_id = months.submission_id and versions.is_current_funds
                )",
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

-- one row per unit-month: the version in force, and the version loaded
current_versions as (

    select
        unit_code,
        period_month,
        submission_id
    from {{ ref('int_submissions_ranked') }}
    where is_current_funds

),

loaded_versions as (

    select * from {{ distinct_keys(this, ['unit_code', 'period_month'], ['submission_id']) }} as loaded

),

changed as (

    -- a new month, a new version of a month, or a version gone from raw
    select
        coalesce(current_versions.unit_code, loaded_versions.unit_code) as unit_code,
        coalesce(current_versions.period_month, loaded_versions.period_month) as period_month
    from current_versions
    full outer join loaded_versions
        on
            current_versions.unit_code = loaded_versions.unit_code
            and current_versions.period_month = loaded_versions.period_month
    where current_versions.submission_id is distinct from loaded_versions.submission_id

),

first_changed as (

    select
        unit_code,
        min(period_month) as period_month
    from changed
    group by unit_code, date_trunc('year', period_month)

),

to_rebuild as (

    -- the changed months and the later months of the same unit and year
    select
        current_versions.unit_code,
        current_versions.period_month,
        current_versions.submission_id
    from current_versions
    inner join first_changed
        on
            current_versions.unit_code = first_changed.unit_code
            and date_trunc('year', current_versions.period_month) = date_trunc('year', first_changed.period_month)
            and current_versions.period_month >= first_changed.period_month

),

latest as (

    select * from {{ ref('int_fund_amounts_latest') }}
    where submission_id = any(array(select to_rebuild.submission_id from to_rebuild))

),

earlier as (

    -- loaded rows of the same unit and year before its first rebuilt month: previous months
    select
        loaded.period_month,
        loaded.unit_code,
        loaded.component_code,
        loaded.funding_source_code,
        loaded.capital_year,
        loaded.disbursed_cumulative_vnd
    from {{ this }} as loaded
    inner join first_changed
        on
            loaded.unit_code = first_changed.unit_code
            and loaded.period_month >= date_trunc('year', first_changed.period_month)
            and loaded.period_month < first_changed.period_month

),

{{ monthly_increments_ctes('latest', 'earlier') }},

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
