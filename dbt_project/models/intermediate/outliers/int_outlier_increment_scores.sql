-- Month-on-month increments of cumulative disbursement scored against the unit's own past: the
-- same unit version, component, funding source and capital position (int_outlier_points), in
-- earlier months only (a month's score does not move when later months arrive).
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

with

points as (

    select
        *,
        disbursed_in_month_vnd as value
    from {{ ref('int_outlier_points') }}
    where disbursed_in_month_vnd <> 0

),

reference as (

    select
        points.period_month,
        points.unit_code,
        points.component_code,
        points.funding_source_code,
        points.capital_year,
        past.value as reference_value
    from points
    inner join points as past
        on
            points.admin_unit_key = past.admin_unit_key
            and points.component_code = past.component_code
            and points.funding_source_code = past.funding_source_code
            and points.capital_year_offset = past.capital_year_offset
            and points.is_december = past.is_december
            and points.period_month > past.period_month
            and (
                points.is_december
                or past.period_month
                >= points.period_month - make_interval(months => {{ var('outlier_history_months') }})
            )

),

{{ outlier_score_ctes(
    'points',
    'reference',
    ['period_month', 'unit_code', 'component_code', 'funding_source_code', 'capital_year'],
    allow_min_max=true
) }},

final as (

    select
        cast('disbursed_in_month' as text) as measure,
        case when scores.is_december then 'unit_past_decembers' else 'unit_past_months' end as compared_with,
        scores.period_month,
        scores.unit_code,
        scores.admin_unit_key,
        scores.province_code,
        scores.component_code,
        scores.funding_source_code,
        scores.capital_year,
        scores.plan_amount_vnd,
        scores.disbursed_cumulative_vnd,
        scores.disbursed_in_month_vnd,
        scores.submission_id,
        scores.value,
        scores.reference_points,
        scores.reference_median,
        scores.median_absolute_deviation,
        scores.mean_absolute_deviation,
        scores.reference_min,
        scores.reference_max,
        scores.method,
        scores.score,
        scores.threshold,
        scores.is_flagged
    from scores

)

select * from final
