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
        {%- for key in outlier_point_keys() %}
        points.{{ key }},
        {%- endfor %}
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
        {{ outlier_score_columns() }}
    from scores

)

select * from final
