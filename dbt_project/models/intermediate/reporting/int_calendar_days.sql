-- Grain: one row per day around the reporting months (first_reporting_month − 2 months ..
-- last_reporting_month + 3 months): whether it is a Vietnamese working day (Monday to Friday, less the
-- public holidays' days off, plus the Saturdays worked for a swapped day off; ref_public_holidays),
-- the first working day on or after it, and a running count of working days, so the working days
-- in (a, b] are working_day_number(b) − working_day_number(a). gnbv.orchestration.calendar
-- computes the same in Python (tests/test_dbt_build.py checks every day).

-- A table: the deadlines of every province-month read it day by day; as a view its window was
-- recomputed inside each lookup, for every unit and month the compliance mart joins.
{{ config(materialized='table') }}

with

days as (

    select cast(day_start as date) as calendar_date
    from
        generate_series(
            {{ first_reporting_month() }} - interval '2 months',
            {{ last_reporting_month() }} + interval '3 months',
            interval '1 day'
        ) as day_start

),

holidays as (

    select * from {{ ref('stg_reference__public_holidays') }}

),

flagged as (

    select
        days.calendar_date,
        cast(extract(isodow from days.calendar_date) as integer) as iso_weekday,
        holidays.kind as holiday_kind,
        holidays.name_vi as holiday_name_vi,
        coalesce(
            holidays.kind = 'working_day',
            extract(isodow from days.calendar_date) <= 5
        ) as is_working_day
    from days
    left join holidays
        on days.calendar_date = holidays.holiday_date

),

numbered as (

    select
        *,
        cast(count(*) filter (where is_working_day) over (order by calendar_date) as integer) as working_day_number,
        -- the days from this one on, walked backwards: a running minimum (a frame that starts
        -- at the current row and runs to the end is aggregated again for every row)
        min(case when is_working_day then calendar_date end) over (
            order by calendar_date desc rows between unbounded preceding and current row
        ) as next_working_day
    from flagged

),

final as (

    select
        -- ids
        numbered.calendar_date,

        -- the day
        numbered.iso_weekday,
        numbered.holiday_kind,
        numbered.holiday_name_vi,
        numbered.is_working_day,
        numbered.working_day_number,

        -- the first working day on or after it (a deadline counted in working days moves there)
        numbered.next_working_day

    from numbered

)

select * from final
