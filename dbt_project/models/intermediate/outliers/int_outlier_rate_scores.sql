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
            peers.province_code = points.province_code
            and peers.period_month = points.period_month
            and peers.component_code = points.component_code
            and peers.funding_source_code = points.funding_source_code
            and peers.capital_year = points.capital_year

),

{{ outlier_score_ctes(
    'points',
    'reference',
    ['period_month', 'unit_code', 'component_code', 'funding_source_code', 'capital_year'],
    allow_min_max=false
) }},

final as (

    select
        'disbursement_rate' as measure,
        'peer_units' as compared_with,
        scores.*
    from scores

)

select * from final
