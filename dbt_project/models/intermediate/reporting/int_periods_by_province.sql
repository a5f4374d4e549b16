-- Every reporting month (var period_start .. period_end) × province that exists that month,
-- with the province's monthly calendar for that year when it has one (Cao Bằng 2024: districts
-- by the 12th, the lead agencies by the 15th). Due dates are the period_month's year-month with the due days.

with

months as (

    select cast(month_start as date) as period_month
    from
        generate_series(
            cast('{{ var("period_start") }}' as date),
            cast('{{ var("period_end") }}' as date),
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
            cast(months.period_month + interval '1 month - 1 day' as date) >= provinces.valid_from
            and (provinces.valid_to is null or months.period_month <= provinces.valid_to)

),

monthly_calendars as (

    select distinct on (province_code, calendar_year)
        province_code,
        calendar_year,
        report_kind,
        district_due_day,
        province_due_day,
        source
    from {{ ref('stg_reference__reporting_calendars') }}
    where
        frequency = 'monthly'
        and unit_code is null
    order by province_code, calendar_year, district_due_day, report_kind

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

        -- the province's monthly reporting rule, if any that year
        monthly_calendars.province_code is not null as has_monthly_calendar,
        monthly_calendars.report_kind,
        monthly_calendars.district_due_day,
        monthly_calendars.province_due_day,
        {{ due_date('province_months.period_month', 'monthly_calendars.district_due_day') }} as district_due_date,
        {{ due_date('province_months.period_month', 'monthly_calendars.province_due_day') }} as province_due_date,
        monthly_calendars.source as calendar_source

    from province_months
    left join monthly_calendars
        on
            province_months.province_code = monthly_calendars.province_code
            and extract(year from province_months.period_month) = monthly_calendars.calendar_year

)

select * from periods
