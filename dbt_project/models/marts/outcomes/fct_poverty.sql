-- Grain: one row per year × unit × source.
--   source 'plan':       the province's plan appendix (ref_poverty_targets: Thừa Thiên Huế 2024,
--                        per district and a province row), poor households and rate at the start
--                        of the year (the previous year's review) and the year's targets;
--   source 'submission': the unit's latest reporting month of the year with poverty indicators
--                        (poor_households, poverty_rate_pct, poor_households_reduction): the
--                        actual (cumulative, else in-month) value and the yearly target.
-- poverty_rate and target_rate are percents (2.27 = 2,27 %).

with

targets as (

    select * from {{ ref('stg_reference__poverty_targets') }}

),

outcomes as (

    -- the facts hold the version in force already (int_outcome_values_latest, incrementally)
    select * from {{ ref('fct_outcome') }}
    where indicator_code in ('poor_households', 'poverty_rate_pct', 'poor_households_reduction')

),

from_plans as (

    select
        plan_year as year,
        unit_code,
        province_code,
        'plan' as source,
        poor_households_start as poor_households,
        poverty_rate_start_pct as poverty_rate,
        target_reduction_households as target_reduction,
        target_poor_households_end as target_poor_households,
        target_rate_end_pct as target_rate,
        make_date(plan_year, 1, 1) as as_of_date,
        source as source_detail
    from targets

),

latest_month as (

    select distinct on (unit_code, extract(year from period_month))
        unit_code,
        period_month,
        submission_id
    from outcomes
    order by unit_code asc, extract(year from period_month), period_month desc

),

from_submissions as (

    select
        cast(extract(year from latest_month.period_month) as integer) as year,
        latest_month.unit_code,
        max(outcomes.province_code) as province_code,
        'submission' as source,
        max(coalesce(outcomes.actual_cumulative, outcomes.actual_in_month))
        filter (where outcomes.indicator_code = 'poor_households') as poor_households,
        max(coalesce(outcomes.actual_cumulative, outcomes.actual_in_month))
        filter (where outcomes.indicator_code = 'poverty_rate_pct') as poverty_rate,
        max(outcomes.target_value)
        filter (where outcomes.indicator_code = 'poor_households_reduction') as target_reduction,
        max(outcomes.target_value)
        filter (where outcomes.indicator_code = 'poor_households') as target_poor_households,
        max(outcomes.target_value)
        filter (where outcomes.indicator_code = 'poverty_rate_pct') as target_rate,
        latest_month.period_month as as_of_date,
        latest_month.submission_id as source_detail
    from latest_month
    inner join outcomes
        on
            latest_month.unit_code = outcomes.unit_code
            and latest_month.period_month = outcomes.period_month
    group by latest_month.unit_code, latest_month.period_month, latest_month.submission_id

),

unioned as (

    select * from from_plans
    union all
    select * from from_submissions

),

final as (

    select
        -- ids
        cast(year as integer) as year,
        unit_code,
        province_code,
        source,

        -- start or latest actual
        cast(round(poor_households) as integer) as poor_households,
        cast(round(poverty_rate, 2) as numeric(9, 4)) as poverty_rate,

        -- targets
        cast(round(target_reduction) as integer) as target_reduction,
        cast(round(target_poor_households) as integer) as target_poor_households,
        cast(round(target_rate, 2) as numeric(9, 4)) as target_rate,

        -- provenance
        as_of_date,
        source_detail

    from unioned

)

select * from final
