-- The monthly deadlines in force per period: one row per period × province with a monthly
-- calendar (unit_code null), plus one per period × unit for units with their own monthly
-- calendar. A unit's own calendar wins over its province's.

with

periods as (

    select * from {{ ref('int_periods_by_province') }}

),

unit_calendars as (

    select *
    from {{ ref('stg_reference__reporting_calendars') }}
    where
        frequency = 'monthly'
        and unit_code is not null

),

province_deadlines as (

    select
        period_month,
        province_code,
        cast(null as text) as unit_code,
        district_due_date,
        province_due_date,
        day_count,
        calendar_source
    from periods
    where has_monthly_calendar

),

unit_deadlines as (

    select
        periods.period_month,
        unit_calendars.province_code,
        unit_calendars.unit_code,
        {{ rule_due_date('periods.period_month', 'unit_calendars.submission_due_day', 'unit_calendars.day_count') }}
            as district_due_date,
        {{ rule_due_date('periods.period_month', 'unit_calendars.consolidation_due_day', 'unit_calendars.day_count') }}
            as province_due_date,
        unit_calendars.day_count,
        unit_calendars.source as calendar_source
    from periods
    inner join unit_calendars
        on
            periods.province_code = unit_calendars.province_code
            and {{ valid_on('unit_calendars', 'periods.period_month') }}

),

deadlines as (

    select * from province_deadlines
    union all
    select * from unit_deadlines

),

final as (

    select
        *,
        {{ end_of_local_day('district_due_date') }} as due_at
    from deadlines

)

select * from final
