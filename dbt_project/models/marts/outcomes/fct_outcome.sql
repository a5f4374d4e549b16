-- Grain: one row per reporting month × unit × indicator, from the unit's latest accepted
-- submission with outcomes for that month.
--
-- Incremental on (unit_code, period_month), delete+insert: a run rewrites only the unit-months
-- whose current submission changed. Rows whose submission is no longer the version in force
-- (raw rows deleted) are removed by the post-hook.

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
                where versions.submission_id = loaded.submission_id and versions.is_current_outcomes
            )",
        ],
        indexes=[
            {'columns': ['unit_code', 'period_month']},
        ],
    )
}}

with

outcomes as (

    select * from {{ ref('int_outcome_values_latest') }}

),

{% if is_incremental() %}

current_versions as (

    select distinct
        unit_code,
        period_month,
        submission_id
    from outcomes

),

loaded_versions as (

    select distinct
        unit_code,
        period_month,
        submission_id
    from {{ this }}

),

to_rebuild as (

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

),

{% endif %}

final as (

    select
        -- ids
        outcomes.period_month,
        outcomes.unit_code,
        outcomes.indicator_code,
        outcomes.province_code,

        -- values
        outcomes.target_value,
        outcomes.actual_in_month,
        outcomes.actual_cumulative,

        -- lineage
        outcomes.submission_id,
        outcomes.received_at,
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

    from outcomes
    {% if is_incremental() %}
    inner join to_rebuild
        on
            outcomes.unit_code = to_rebuild.unit_code
            and outcomes.period_month = to_rebuild.period_month
    {% endif %}

)

select * from final
