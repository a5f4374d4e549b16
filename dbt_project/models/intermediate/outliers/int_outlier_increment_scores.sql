-- Month-on-month increments of cumulative disbursement scored against the unit's own past: the
-- same unit version, component, funding source and capital position (int_outlier_points), in
-- earlier months only (a month's score does not move when later months arrive; a correction of
-- an earlier month moves the later months' scores, whose reference it is).
--
-- Reference: the series' non-zero increments of the var outlier_history_months months before.
-- Year-end: December is compared with the unit's earlier Decembers only (all of them), and the
-- other months never with a December, so the surge of the last month of the budget year is not
-- an outlier by itself, only a December unlike the unit's own Decembers; January's increment is
-- the year's first cumulative, an ordinary month.
-- Zero increments (nothing disbursed in the month) are neither scored nor reference values, as
-- DHIS2, which does not store zeros: a series of mostly empty months would otherwise make every
-- disbursement an outlier (MAD 0). A negative increment (a correction) is scored.
-- Method: macros/outliers.sql (modified z-score, min–max with a short past, nothing with less).
--
-- Incremental on (unit_code, period_month), delete+insert: a run rescores, for each unit whose
-- points changed (int_outlier_points rows loaded after this table's latest run, or unit-months
-- scored here and gone from the points), every point of the unit from its first changed month
-- on (the only points whose reference can have moved), against the unit's whole past. The
-- post-hook removes the unit-months that have no point to score any more.

-- depends_on: {{ ref('int_outlier_points') }}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['unit_code', 'period_month'],
        on_schema_change='append_new_columns',
        post_hook=[
            "{{ delete_unit_months_without_points(this, 'points.disbursed_in_month_vnd <> 0') }}",
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

loaded_months as (

    select * from {{ distinct_keys(this, ['unit_code', 'period_month']) }} as loaded

),

changed as (

    -- points rewritten since this table's last run, and unit-months gone from the points
    select
        all_points.unit_code,
        all_points.period_month
    from {{ ref('int_outlier_points') }} as all_points
    inner join last_run
        on all_points.dbt_loaded_at > last_run.loaded_at

    union

    select
        loaded_months.unit_code,
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

first_changed as (

    select
        unit_code,
        min(period_month) as period_month
    from changed
    group by unit_code

),

{% endif %}

points as (

    select
        all_points.*,
        all_points.disbursed_in_month_vnd as value
    from {{ ref('int_outlier_points') }} as all_points
    {% if is_incremental() %}
    inner join {{ few_keys('first_changed', ['unit_code', 'period_month']) }} as first_changed
        on
            all_points.unit_code = first_changed.unit_code
            and all_points.period_month >= first_changed.period_month
    {% endif %}
    where all_points.disbursed_in_month_vnd <> 0

),

reference as (

    select
        points.period_month,
        points.unit_code,
        points.component_code,
        points.funding_source_code,
        points.capital_year,
        past.disbursed_in_month_vnd as reference_value
    from points
    inner join {{ ref('int_outlier_points') }} as past
        on
            points.admin_unit_key = past.admin_unit_key
            and points.component_code = past.component_code
            and points.funding_source_code = past.funding_source_code
            and points.capital_year_offset = past.capital_year_offset
            and points.is_december = past.is_december
            and points.period_month > past.period_month
            and past.disbursed_in_month_vnd <> 0
            and (
                points.is_december
                or past.period_month
                >= points.period_month - make_interval(months => {{ var('outlier_history_months') }})
            )

),

{{ outlier_score_ctes(
    'points',
    'reference',
    outlier_point_keys(),
    allow_min_max=true
) }},

final as (

    select
        cast('disbursed_in_month' as text) as measure,
        case when scores.is_december then 'unit_past_decembers' else 'unit_past_months' end as compared_with,
        {{ outlier_score_columns() }},
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at
    from scores

)

select * from final
