-- Grain: one row per reporting month × unit × component × funding source × capital year, from
-- the unit's latest accepted submission with funds for that month (latest = max received_at,
-- then max ingest_seq). disbursed_in_month_vnd: see int_fund_amounts_monthly_increments.
--
-- Incremental on (unit_code, period_month), delete+insert: a run rewrites only the unit-months
-- whose version in force changed (a new month, a late correction, a version gone from raw) and
-- the later months of the same unit and year (their increments depend on it); other rows keep
-- their dbt_loaded_at. Its cost follows the change, not the history:
--   * versions are compared per unit-month (raw.submissions against a loose index scan of this
--     table), never row by row;
--   * only the rebuilt versions' rows are read from raw (submission_id = any(...) reaches the
--     primary key of raw.fund_amounts through the views);
--   * the previous month of a rebuilt month's increment comes from this table's own rows of
--     the same unit and year, before the first rebuilt month.
-- The post-hook removes the unit-months whose version is gone from raw (macros/version_in_force.sql).
-- Then `analyze`: a new month is outside the column statistics, and the tests and models
-- after it would plan for one row of it (nested loops over thousands of rows).

-- depends_on: {{ ref('int_submissions_ranked') }}
-- depends_on: {{ ref('int_fund_amounts_latest') }}

{{
    config(
        materialized='incremental',
        unique_key=['unit_code', 'period_month'],
        post_hook=[
            "{{ delete_unit_months_out_of_force(this, 'is_current_funds') }}",
            "analyze {{ this }}",
        ],
        indexes=[
            {'columns': ['unit_code', 'period_month']},
            {'columns': ['period_month', 'province_code']},
            {'columns': ['dbt_loaded_at']},
        ],
    )
}}

with

{% if is_incremental() %}

{{ version_in_force_ctes(this, 'is_current_funds') }},

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

{% else %}

increments as (

    select * from {{ ref('int_fund_amounts_monthly_increments') }}

),

{% endif %}

final as (

    select
        -- ids
        period_month,
        unit_code,
        component_code,
        funding_source_code,
        capital_year,
        province_code,

        -- amounts (whole VND)
        plan_amount_vnd,
        disbursed_cumulative_vnd,
        disbursed_in_month_vnd,
        previous_period_month,
        is_correction,

        -- lineage
        submission_id,
        received_at,
        component_resolved_by,
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

    from increments

)

select * from final
