-- Grain: one row per province × unit × month in which the unit reported its poverty rate or its
-- target, with the month of its next such report that year (null: none since). A report of month
-- M shows, per unit, the row whose month is at most M and whose next report is after M: the rate
-- as the unit last reported it in the year up to the report's month (fct_poverty's 'submission'
-- rows speak of the year's latest month, which may be later than the report's).

with

outcomes as (

    select * from {{ ref('fct_outcome') }}
    where indicator_code in ('poverty_rate_pct', 'poor_households')

),

monthly as (

    select
        province_code,
        unit_code,
        period_month,
        max(coalesce(actual_cumulative, actual_in_month)) filter (where indicator_code = 'poverty_rate_pct')
            as poverty_rate,
        max(target_value) filter (where indicator_code = 'poverty_rate_pct') as target_rate,
        max(coalesce(actual_cumulative, actual_in_month)) filter (where indicator_code = 'poor_households')
            as poor_households,
        max(target_value) filter (where indicator_code = 'poor_households') as target_poor_households
    from outcomes
    group by province_code, unit_code, period_month

),

reported as (

    select * from monthly
    where poverty_rate is not null or target_rate is not null

),

final as (

    select
        -- ids
        province_code,
        unit_code,
        cast(extract(year from period_month) as integer) as year,
        period_month,
        lead(period_month) over (
            partition by province_code, unit_code, extract(year from period_month)
            order by period_month
        ) as next_reported_month,

        -- figures
        poverty_rate,
        target_rate,
        poor_households,
        target_poor_households

    from reported

)

select * from final
