-- Grain: one row per submission (file) received, whatever its verdict.
-- status: accepted (the version in force) | rejected (failed the gate) | superseded (replaced by
-- a later accepted version). timeliness: on_time | late against the district due date's end of
-- day in Asia/Ho_Chi_Minh; null when no monthly calendar applies to the unit that month.

with

submissions as (

    select * from {{ ref('int_submissions_ranked') }}

),

problems as (

    select
        submission_id,
        array_agg(distinct check_code order by check_code) filter (where severity = 'error') as failed_checks,
        array_agg(distinct check_code order by check_code) filter (where severity = 'warning') as warned_checks,
        count(*) filter (where severity = 'error') as error_count,
        count(*) filter (where severity = 'warning') as warning_count
    from {{ ref('stg_raw__submission_problems') }}
    group by submission_id

),

deadlines as (

    select * from {{ ref('int_reporting_deadlines') }}

),

final as (

    select
        -- ids
        submissions.submission_id,
        submissions.unit_code,
        submissions.province_code,
        submissions.period_month,

        -- timeliness
        submissions.received_at,
        coalesce(unit_deadlines.district_due_date, province_deadlines.district_due_date) as due_date,
        coalesce(unit_deadlines.due_at, province_deadlines.due_at) as due_at,
        case
            when coalesce(unit_deadlines.due_at, province_deadlines.due_at) is null then null
            when submissions.received_at <= coalesce(unit_deadlines.due_at, province_deadlines.due_at) then 'on_time'
            else 'late'
        end as timeliness,

        -- verdict and version
        submissions.submission_status as status,
        submissions.gate_status,
        submissions.superseded_by,
        submissions.has_funds,
        submissions.has_outcomes,

        -- checks
        coalesce(problems.failed_checks, cast(array[] as text[])) as failed_checks,
        array_to_string(problems.failed_checks, ',') as failed_checks_list,
        coalesce(problems.warned_checks, cast(array[] as text[])) as warned_checks,
        cast(coalesce(problems.error_count, 0) as integer) as error_count,
        cast(coalesce(problems.warning_count, 0) as integer) as warning_count,

        -- file
        submissions.file_name,
        submissions.file_sha256,
        submissions.file_format,
        submissions.amount_unit,

        -- audit
        submissions.ingested_at,
        submissions.ingest_seq

    from submissions
    left join problems
        on submissions.submission_id = problems.submission_id
    left join deadlines as unit_deadlines
        on
            submissions.unit_code = unit_deadlines.unit_code
            and submissions.period_month = unit_deadlines.period_month
    left join deadlines as province_deadlines
        on
            submissions.province_code = province_deadlines.province_code
            and submissions.period_month = province_deadlines.period_month
            and province_deadlines.unit_code is null

)

select * from final
