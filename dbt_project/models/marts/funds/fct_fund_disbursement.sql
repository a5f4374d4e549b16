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

{{ increments_to_rebuild_ctes(this) }},

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
