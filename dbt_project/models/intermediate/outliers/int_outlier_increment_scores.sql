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
        {%- for key in outlier_point_keys() %}
        points.{{ key }},
        {%- endfor %}
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
    outlier_point_keys(),
    allow_min_max=true
) }},

final as (

    select
        cast('disbursed_in_month' as text) as measure,
        case when scores.is_december then 'unit_past_decembers' else 'unit_past_months' end as compared_with,
        {{ outlier_score_columns() }}
    from scores

)

select * from final
