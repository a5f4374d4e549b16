-- Every reporting month (first_reporting_month .. last_reporting_month) × province that exists that month,
-- with the province's monthly calendar in force for that month when it has one (Cao Bằng: units
-- by the 12th, the lead agencies by the 15th). Three dates kept apart: the data window (Decree
-- 09/2019: the 15th of the previous month to the 14th), the submission deadline
-- (district_due_date: the name predates the 2025 reform, when districts submitted) and the
-- consolidation deadline (province_due_date). Due dates are the period_month's year-month with
-- the due days, moved to the next working day where the rule counts working days.

-- A table: small (months × provinces), and every unit-month expected to report joins it on its
-- due dates; as a view, those dates were recomputed for each unit version the join tried.
{{ config(materialized='table') }}

with

months as (

    select cast(month_start as date) as period_month
    from
        generate_series(
            {{ first_reporting_month() }},
            {{ last_reporting_month() }},
            interval '1 month'
        ) as month_start

),

provinces as (

    select
        unit_code as province_code,
        valid_from,
        valid_to
    from {{ ref('int_admin_units_with_province') }}
    where unit_level = 'province'

),

-- the months in which a province exists: a code names a province only while one of its
-- versions is valid (87, old Đồng Tháp, ends in June 2025; 82 is Tiền Giang, then Đồng Tháp)
province_months as (

    select distinct
        months.period_month,
        provinces.province_code
    from months
    inner join provinces
        on
            {{ valid_in_month('provinces', 'months.period_month') }}

),

monthly_calendars as (

    select *
    from {{ ref('stg_reference__reporting_calendars') }}
    where
        frequency = 'monthly'
        and unit_code is null

),

-- the rule in force for the month (the latest start wins should two overlap; a data test
-- forbids it)
calendar_in_force as (

    select distinct on (province_months.period_month, province_months.province_code)
        province_months.period_month,
        province_months.province_code,
        monthly_calendars.report_kind,
        monthly_calendars.data_window_start_day,
        monthly_calendars.data_window_end_day,
        monthly_calendars.submission_due_day,
        monthly_calendars.consolidation_due_day,
        monthly_calendars.day_count,
        monthly_calendars.basis,
        monthly_calendars.source
    from province_months
    inner join monthly_calendars
        on
            province_months.province_code = monthly_calendars.province_code
            and {{ valid_on('monthly_calendars', 'province_months.period_month') }}
    order by province_months.period_month asc, province_months.province_code asc, monthly_calendars.valid_from desc

),

periods as (

    select
        -- ids
        province_months.period_month,
        province_months.province_code,

        -- calendar
        cast(extract(year from province_months.period_month) as integer) as period_year,
        cast(extract(quarter from province_months.period_month) as integer) as period_quarter,
        case when extract(month from province_months.period_month) <= 6 then 1 else 2 end as period_half_year,
        cast(extract(month from province_months.period_month) as integer) as period_month_number,

        -- the province's monthly reporting rule in force that month, if any
        calendar_in_force.province_code is not null as has_monthly_calendar,
        calendar_in_force.report_kind,
        calendar_in_force.submission_due_day as district_due_day,
        calendar_in_force.consolidation_due_day as province_due_day,
        calendar_in_force.day_count,

        -- the data window (Decree 09/2019), then the two deadlines
        {{ due_date(
            "cast(province_months.period_month - interval '1 month' as date)",
            'calendar_in_force.data_window_start_day'
        ) }} as data_window_start,
        {{ due_date('province_months.period_month', 'calendar_in_force.data_window_end_day') }} as data_window_end,
        {{ rule_due_date(
            'province_months.period_month', 'calendar_in_force.submission_due_day', 'calendar_in_force.day_count'
        ) }} as district_due_date,
        {{ rule_due_date(
            'province_months.period_month', 'calendar_in_force.consolidation_due_day', 'calendar_in_force.day_count'
        ) }} as province_due_date,

        -- provenance: stated | carried_forward
        calendar_in_force.basis as calendar_basis,
        calendar_in_force.source as calendar_source

    from province_months
    left join calendar_in_force
        on
            province_months.period_month = calendar_in_force.period_month
            and province_months.province_code = calendar_in_force.province_code

)

select * from periods
