-- Grain: one row per reporting month × unit × component × funding source × capital year, from
-- the unit's latest accepted submission with funds for that month (latest = max received_at,
-- then max ingest_seq). disbursed_in_month_vnd: see int_fund_amounts_monthly_increments.
--
-- Incremental on (unit_code, period_month), delete+insert: a run rewrites only the unit-months
-- whose current submission changed (a new month, or a late correction) and the later months of
-- the same unit and year (their increments depend on the corrected cumulative). Other rows keep
-- their dbt_loaded_at. Rows whose submission is no longer the version in force (raw rows
-- deleted) are removed by the post-hook, and the later months of that unit and year rebuilt.

-- depends_on: {{ ref('int_submissions_ranked') }}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['unit_code', 'period_month'],
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} as loaded where not exists (
                select 1 from {{ ref('int_submissions_ranked') }} as versions
                where versions.submission_id = loaded.submission_id and versions.is_current_funds
            )",
        ],
        indexes=[
            {'columns': ['unit_code', 'period_month']},
            {'columns': ['period_month', 'province_code']},
        ],
    )
}}

with

increments as (

    select * from {{ ref('int_fund_amounts_monthly_increments') }}

),

{% if is_incremental() %}

current_versions as (

    select distinct
        unit_code,
        period_month,
        submission_id
    from increments

),

loaded_versions as (

    select distinct
        unit_code,
        period_month,
        submission_id
    from {{ this }}

),

changed as (

    -- a new month, or a new version of a month
    select
        current_versions.unit_code,
        current_versions.period_month
    from current_versions
    left join loaded_versions
        on
            current_versions.unit_code = loaded_versions.unit_code
            and current_versions.period_month = loaded_versions.period_month
            and current_versions.submission_id = loaded_versions.submission_id
    where loaded_versions.submission_id is null

    union

    -- a month whose version is gone (deleted from raw): the post-hook removes its rows
    select
        loaded_versions.unit_code,
        loaded_versions.period_month
    from loaded_versions
    left join current_versions
        on
            loaded_versions.unit_code = current_versions.unit_code
            and loaded_versions.period_month = current_versions.period_month
    where current_versions.unit_code is null

),

to_rebuild as (

    select distinct
        current_versions.unit_code,
        current_versions.period_month
    from current_versions
    inner join changed
        on
            current_versions.unit_code = changed.unit_code
            and date_trunc('year', current_versions.period_month) = date_trunc('year', changed.period_month)
            and current_versions.period_month >= changed.period_month

),

{% endif %}

final as (

    select
        -- ids
        increments.period_month,
        increments.unit_code,
        increments.component_code,
        increments.funding_source_code,
        increments.capital_year,
        increments.province_code,

        -- amounts (whole VND)
        increments.plan_amount_vnd,
        increments.disbursed_cumulative_vnd,
        increments.disbursed_in_month_vnd,
        increments.previous_period_month,
        increments.is_correction,

        -- lineage
        increments.submission_id,
        increments.received_at,
        increments.component_resolved_by,
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

    from increments
    {% if is_incremental() %}
    inner join to_rebuild
        on
            increments.unit_code = to_rebuild.unit_code
            and increments.period_month = to_rebuild.period_month
    {% endif %}

)

select * from final
