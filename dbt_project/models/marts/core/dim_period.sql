-- Grain: one row per reporting month × province existing that month (2021-01 through December
-- of the as-of date's or the run's year, whichever is later: last_reporting_month). period_month is the first day of the month whose
-- 12th (the submission due day) is the deadline; the data window and the due dates are filled
-- where a monthly calendar of the province is in force that month.

with

periods as (

    select * from {{ ref('int_periods_by_province') }}

),

final as (

    select
        -- ids
        period_month,
        province_code,

        -- calendar
        period_year as year,
        period_quarter as quarter,
        period_half_year as half_year,
        period_month_number as month,
        to_char(period_month, 'MM/YYYY') as period_label,

        -- the province's monthly reporting rule: the data window, the submission deadline
        -- (district_due_*: communes submit from 2025-07-01) and the consolidation deadline
        has_monthly_calendar,
        data_window_start,
        data_window_end,
        district_due_day,
        province_due_day,
        district_due_date,
        province_due_date,
        day_count,
        calendar_basis,
        calendar_source

    from periods

)

select * from final
