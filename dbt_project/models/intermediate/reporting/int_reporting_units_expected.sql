-- Who is expected to report, per period: the units directly under the province valid on the
-- district due date (on the first day of the month when no calendar applies), per
-- dim_admin_unit's history — its districts until 2025-06-30, its communes from 2025-07-01 (two
-- tiers: Decree 125/2025 hands the districts' program tasks to the communes). Where the province
-- allocates capital to communes that year (plan figures of commune units valid on the day, so a
-- figure of a reused code's former unit never counts), only those communes report. gnbv.reference.Reference.reporting_units is the same rule (a parity test binds them).
-- is_reporting_required when the unit's province (or the unit itself) has a monthly calendar
-- that year; the due date is the unit's own calendar's if any, else the province's.

with

periods as (

    select * from {{ ref('int_periods_by_province') }}

),

-- a commune under a district reported through it: only a province's own children report
units as (

    select * from {{ ref('int_admin_units_with_province') }}
    where
        unit_level in ('district', 'commune')
        and parent_unit_code = province_code

),

allocations as (

    select distinct
        unit_code,
        valid_from,
        valid_to
    from {{ ref('stg_reference__plan_figures') }}
    where figure_kind = 'plan'

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
        coalesce(unit_deadlines.province_due_date, periods.province_due_date) as province_due_date,

        -- a commune allocated capital that year
        allocations.unit_code is not null as is_allocated

    from periods
    inner join units
        on
            periods.province_code = units.province_code
            and {{ valid_on('units', 'coalesce(periods.district_due_date, periods.period_month)') }}
    left join unit_deadlines
        on
            periods.period_month = unit_deadlines.period_month
            and units.unit_code = unit_deadlines.unit_code
    left join allocations
        on
            units.unit_level = 'commune'
            and units.unit_code = allocations.unit_code
            and {{ valid_on('allocations', 'coalesce(periods.district_due_date, periods.period_month)') }}

),

-- where the province allocates to communes that month's year, only the allocated ones report
-- (a window, not a second join with the units: the seeds have no statistics in a fresh build)
narrowed as (

    select
        *,
        bool_or(is_allocated) over (partition by period_month, province_code) as province_allocates
    from expected

),

-- distinct: two figures of a unit whose spans differ but both cover the day allocate it once
final as (

    select distinct
        period_month,
        province_code,
        unit_code,
        unit_name,
        is_reporting_required,
        district_due_date,
        province_due_date,
        {{ end_of_local_day('district_due_date') }} as due_at
    from narrowed
    where is_allocated or not province_allocates

)

select * from final
