-- Disbursement rates (cumulative ÷ plan, in percent) scored across units: the units of the same
-- province reporting the same component, funding source and capital year in the same month
-- (the unit itself included: the month's cross-section is the sample). Only rows with a plan
-- above 0 have a rate. Peers share the season, so December needs nothing special here.
-- A rate is cumulative and grows through the year, so a unit's own past is no reference for it:
-- with fewer than var outlier_min_points peers it is not scored (no min–max).
-- Method: macros/outliers.sql.
--
-- Incremental on (unit_code, period_month), delete+insert: a run rescores the whole
-- cross-section (province × month) of every unit-month whose points changed (int_outlier_points
-- rows loaded after this table's latest run, or unit-months scored here and gone from the
-- points), in the province it had here and the one it has now: only those samples moved. The
-- post-hook removes the unit-months that have no rate to score any more.

-- depends_on: {{ ref('int_outlier_points') }}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['unit_code', 'period_month'],
        on_schema_change='append_new_columns',
        post_hook=[
            "{{ delete_unit_months_without_points(this, 'points.plan_amount_vnd > 0') }}",
            "analyze {{ this }}",
        ],
        indexes=[
            {'columns': ['unit_code', 'period_month']},
            {'columns': ['dbt_loaded_at']},
            {'columns': ['is_flagged']},
        ],
    )
}}

with

{% if is_incremental() %}

last_run as (

    select coalesce(max(dbt_loaded_at), cast('-infinity' as timestamptz)) as loaded_at
    from {{ this }}

),

changed_points as (

    -- points rewritten since this table's last run
    select
        all_points.unit_code,
        all_points.period_month,
        all_points.province_code
    from {{ ref('int_outlier_points') }} as all_points
    inner join last_run
        on all_points.dbt_loaded_at > last_run.loaded_at

),

changed_months as (

    select distinct
        unit_code,
        period_month
    from changed_points

),

loaded_months as (

    select * from {{ distinct_keys(this, ['unit_code', 'period_month'], ['province_code']) }} as loaded

),

changed as (

    -- the province-months of the changed points, as they are now and as they were scored, and
    -- of the unit-months gone from the points
    select
        province_code,
        period_month
    from changed_points

    union

    select
        loaded.province_code,
        loaded.period_month
    from {{ this }} as loaded
    inner join {{ few_keys('changed_months', ['unit_code', 'period_month']) }} as changed_months
        on
            loaded.unit_code = changed_months.unit_code
            and loaded.period_month = changed_months.period_month

    union

    select
        loaded_months.province_code,
        loaded_months.period_month
    from loaded_months
    where
        not exists (
            select 1 as is_scored
            from {{ ref('int_outlier_points') }} as all_points
            where
                all_points.unit_code = loaded_months.unit_code
                and all_points.period_month = loaded_months.period_month
        )

),

{% endif %}

points as (

    select
        all_points.*,
        round(100 * all_points.disbursed_cumulative_vnd / all_points.plan_amount_vnd, 4) as value
    from {{ ref('int_outlier_points') }} as all_points
    {% if is_incremental() %}
    inner join {{ few_keys('changed', ['province_code', 'period_month']) }} as changed
        on
            all_points.province_code = changed.province_code
            and all_points.period_month = changed.period_month
    {% endif %}
    where all_points.plan_amount_vnd > 0

),

reference as (

    select
        points.period_month,
        points.unit_code,
        points.component_code,
        points.funding_source_code,
        points.capital_year,
        peers.value as reference_value
    from points
    inner join points as peers
        on
            points.province_code = peers.province_code
            and points.period_month = peers.period_month
            and points.component_code = peers.component_code
            and points.funding_source_code = peers.funding_source_code
            and points.capital_year = peers.capital_year

),

{{ outlier_score_ctes(
    'points',
    'reference',
    outlier_point_keys(),
    allow_min_max=false
) }},

final as (

    select
        cast('disbursement_rate' as text) as measure,
        'peer_units' as compared_with,
        {{ outlier_score_columns() }},
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at
    from scores

)

select * from final
