-- Grain: one row per reporting month × unit × indicator, from the unit's latest accepted
-- submission with outcomes for that month.
--
-- Incremental on (unit_code, period_month), delete+insert: a run rewrites only the unit-months
-- whose version in force changed, compared per unit-month (raw.submissions against a loose
-- index scan of this table), and reads from raw only the rows of those versions. The
-- post-hook removes the unit-months whose version is gone from raw (macros/version_in_force.sql).
-- Then `analyze`: a new month is outside the column statistics, and the tests and models
-- after it would plan for one row of it (nested loops over thousands of rows).

-- depends_on: {{ ref('int_submissions_ranked') }}

{{
    config(
        materialized='incremental',
        unique_key=['unit_code', 'period_month'],
        post_hook=[
            "{{ delete_unit_months_out_of_force(this, 'is_current_outcomes') }}",
            "analyze {{ this }}",
        ],
        indexes=[
            {'columns': ['unit_code', 'period_month']},
            {'columns': ['dbt_loaded_at']},
        ],
    )
}}

with

{% if is_incremental() %}

{{ version_in_force_ctes(this, 'is_current_outcomes') }},

to_rebuild as (

    -- a new month or a new version of a month (a version gone is the post-hook's)
    select current_versions.submission_id
    from current_versions
    left join loaded_versions
        on
            current_versions.unit_code = loaded_versions.unit_code
            and current_versions.period_month = loaded_versions.period_month
            and current_versions.submission_id = loaded_versions.submission_id
    where loaded_versions.submission_id is null

),

outcomes as (

    select * from {{ ref('int_outcome_values_latest') }}
    where submission_id = any(array(select to_rebuild.submission_id from to_rebuild))

),

{% else %}

outcomes as (

    select * from {{ ref('int_outcome_values_latest') }}

),

{% endif %}

final as (

    select
        -- ids
        period_month,
        unit_code,
        indicator_code,
        province_code,

        -- values
        target_value,
        actual_in_month,
        actual_cumulative,

        -- lineage
        submission_id,
        received_at,
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

    from outcomes

)

select * from final
