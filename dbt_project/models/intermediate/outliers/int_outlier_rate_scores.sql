-- Disbursement rates (cumulative ÷ plan, in percent) scored across units: the units of the same
-- province reporting the same component, funding source and capital year in the same month
-- (the unit itself included: the month's cross-section is the sample). Only rows with a plan
-- above 0 have a rate. Peers share the season, so December needs nothing special here.
-- A rate is cumulative and grows through the year, so a unit's own past is no reference for it:
-- with fewer than var outlier_min_points peers it is not scored (no min–max).
-- Method: macros/outliers.sql.

with

points as (

    select
        *,
        round(100 * disbursed_cumulative_vnd / plan_amount_vnd, 4) as value
    from {{ ref('int_outlier_points') }}
    where plan_amount_vnd > 0

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
    ['period_month', 'unit_code', 'component_code', 'funding_source_code', 'capital_year'],
    allow_min_max=false
) }},

final as (

    select
        cast('disbursement_rate' as text) as measure,
        'peer_units' as compared_with,
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
