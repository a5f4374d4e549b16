-- Grain: one row per reporting month × unit expected to report (the province's districts valid
-- that month, in months where a monthly calendar applies), for months whose district due date
-- has passed on the as-of date (var as_of_date, default: the run's date in Asia/Ho_Chi_Minh).
-- status: on_time | late (by the first accepted submission's received_at, so a later
-- correction never makes an on-time report late) | missing (no accepted submission; a unit
-- whose submissions were all rejected is missing). Reporting rate = (on_time + late) / rows;
-- on-time rate = on_time / rows. days_late counts the rule's days: calendar days, or Vietnamese
-- working days where the rule says so (day_count; int_calendar_days).
-- Planned without nested loops (set local: this model's transaction only). Its inputs are
-- views over seeds and tables the same run has just rebuilt, mostly without statistics yet, on
-- which the planner guesses a handful of expected unit-months (there are thousands) and joins
-- them by nested loops: each unit-month then rescans the submissions' counts and the rules'
-- deadlines, the whole build waiting on this small table. Every join here is on keys, so hash
-- and merge joins are right whatever the sizes.

{{ config(pre_hook="set local enable_nestloop = off") }}

with

expected as (

    select * from {{ ref('int_reporting_units_expected') }}
    where
        is_reporting_required
        and district_due_date <= {{ as_of_date() }}

),

submissions as (

    select * from {{ ref('int_submissions_ranked') }}

),

-- how the rule in force counts days (calendar | working): the unit's own rule, else the province's
day_counts as (

    select
        expected.period_month,
        expected.unit_code,
        coalesce(unit_rule.day_count, province_rule.day_count, 'calendar') as day_count
    from expected
    left join {{ ref('int_reporting_deadlines') }} as unit_rule
        on
            expected.period_month = unit_rule.period_month
            and expected.unit_code = unit_rule.unit_code
    left join {{ ref('int_reporting_deadlines') }} as province_rule
        on
            expected.period_month = province_rule.period_month
            and expected.province_code = province_rule.province_code
            and province_rule.unit_code is null

),

first_accepted as (

    select distinct on (unit_code, period_month)
        unit_code,
        period_month,
        submission_id,
        received_at
    from submissions
    where gate_status = 'accepted'
    order by unit_code asc, period_month asc, received_at asc, ingest_seq asc

),

counts as (

    select
        unit_code,
        period_month,
        count(*) filter (where gate_status = 'accepted') as accepted_submissions,
        count(*) filter (where gate_status = 'rejected') as rejected_submissions
    from submissions
    group by unit_code, period_month

),

final as (

    select
        -- ids
        expected.period_month,
        expected.province_code,
        expected.unit_code,

        -- verdict
        case
            when first_accepted.submission_id is null then 'missing'
            when first_accepted.received_at <= expected.due_at then 'on_time'
            else 'late'
        end as status,
        first_accepted.received_at,
        case
            when first_accepted.submission_id is null then null
            when first_accepted.received_at <= expected.due_at then 0
            else {{ days_after(
                'expected.district_due_date', local_date('first_accepted.received_at'), 'day_counts.day_count'
            ) }}
        end as days_late,

        -- deadline
        expected.district_due_date as due_date,
        expected.due_at,

        -- submissions
        first_accepted.submission_id as first_submission_id,
        cast(coalesce(counts.accepted_submissions, 0) as integer) as accepted_submissions,
        cast(coalesce(counts.rejected_submissions, 0) as integer) as rejected_submissions

    from expected
    left join first_accepted
        on
            expected.unit_code = first_accepted.unit_code
            and expected.period_month = first_accepted.period_month
    left join counts
        on
            expected.unit_code = counts.unit_code
            and expected.period_month = counts.period_month
    left join day_counts
        on
            expected.unit_code = day_counts.unit_code
            and expected.period_month = day_counts.period_month

)

select * from final
