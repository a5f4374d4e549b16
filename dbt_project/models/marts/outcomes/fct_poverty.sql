-- Grain: one row per year × unit version × source (admin_unit_key: a code may name two units
-- in one year, e.g. 82 was Tiền Giang until 2025-06-30 and is Đồng Tháp from 2025-07-01).
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

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

outcomes as (

    -- the facts hold the version in force already (int_outcome_values_latest, incrementally)
    select
        facts.*,
        units.valid_from as unit_valid_from
    from {{ ref('fct_outcome') }} as facts
    left join units
        on {{ unit_version_on('units', 'facts.unit_code', 'facts.period_month') }}
    where facts.indicator_code in ('poor_households', 'poverty_rate_pct', 'poor_households_reduction')

),

from_plans as (

    select
        targets.plan_year as year,
        targets.unit_code,
        units.valid_from as unit_valid_from,
        targets.province_code,
        'plan' as source,
        targets.poor_households_start as poor_households,
        targets.poverty_rate_start_pct as poverty_rate,
        targets.target_reduction_households as target_reduction,
        targets.target_poor_households_end as target_poor_households,
        targets.target_rate_end_pct as target_rate,
        make_date(targets.plan_year, 1, 1) as as_of_date,
        targets.source as source_detail
    from targets
    left join units
        on {{ unit_version_on('units', 'targets.unit_code', 'make_date(targets.plan_year, 1, 1)') }}

),

latest_month as (

    select distinct on (unit_code, unit_valid_from, extract(year from period_month))
        unit_code,
        unit_valid_from,
        period_month,
        submission_id
    from outcomes
    order by unit_code asc, unit_valid_from asc, extract(year from period_month), period_month desc

),

from_submissions as (

    select
        cast(extract(year from latest_month.period_month) as integer) as year,
        latest_month.unit_code,
        latest_month.unit_valid_from,
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
    group by latest_month.unit_code, latest_month.unit_valid_from, latest_month.period_month, latest_month.submission_id

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
        source_detail,

        -- the unit version the row speaks of (dim_admin_unit.admin_unit_key)
        {{ admin_unit_key('unit_code', 'unit_valid_from') }} as admin_unit_key

    from unioned

)

select * from final
