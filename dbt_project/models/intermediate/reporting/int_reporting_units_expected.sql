-- Who is expected to report, per period: the province's districts valid on the district due
-- date (on the first day of the month when no calendar applies), per dim_admin_unit's history.
-- is_reporting_required when the unit's province (or the unit itself) has a monthly calendar
-- that year; the due date is the unit's own calendar's if any, else the province's.

with

periods as (

    select * from {{ ref('int_periods_by_province') }}

),

units as (

    select * from {{ ref('int_admin_units_with_province') }}
    where unit_level = 'district'

),

unit_deadlines as (

    select * from {{ ref('int_reporting_deadlines') }}
    where unit_code is not null

),

expected as (

    select
        -- ids
        periods.period_month,
        periods.province_code,
        units.unit_code,
        units.unit_name,

        -- the deadline in force
        (periods.has_monthly_calendar or unit_deadlines.unit_code is not null) as is_reporting_required,
        coalesce(unit_deadlines.district_due_date, periods.district_due_date) as district_due_date,
        coalesce(unit_deadlines.province_due_date, periods.province_due_date) as province_due_date

    from periods
    inner join units
        on
            periods.province_code = units.province_code
            and units.valid_from <= coalesce(periods.district_due_date, periods.period_month)
            and (units.valid_to is null or units.valid_to >= coalesce(periods.district_due_date, periods.period_month))
    left join unit_deadlines
        on
            periods.period_month = unit_deadlines.period_month
            and units.unit_code = unit_deadlines.unit_code

),

final as (

    select
        *,
        {{ end_of_local_day('district_due_date') }} as due_at
    from expected

)

select * from final
