-- Every submission with its version standing among the accepted submissions of the same unit
-- and period. Latest = max received_at, then max ingest_seq (the load order breaks ties).
-- A tie counts for nothing: an accepted submission received at the very time a different file
-- of the same unit and period was rejected as `several_files_at_once` (files taken in separate
-- intake calls, as the intake DAG takes each file, with one receipt time) is not a version; the
-- version before stays. The same rule as ingest.load.VERSION_IN_FORCE (the gate's, before dbt
-- runs; tests/test_dbt_build.py binds the two).
--   funds version:    the latest accepted submission with has_funds    (feeds fct_fund_disbursement)
--   outcomes version: the latest accepted submission with has_outcomes (feeds fct_outcome)
-- submission_status: rejected (the gate said so) | accepted (current for what it carries) |
-- superseded (accepted, but a later accepted submission replaced everything it carried, or it
-- was tied: superseded_by is then the version left in force, or null when there was none).

with

submissions as (

    select * from {{ ref('stg_raw__submissions') }}

),

problems as (

    select * from {{ ref('stg_raw__submission_problems') }}

),

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

tied_arrivals as (

    select distinct
        submissions.unit_code,
        submissions.period_month,
        submissions.received_at
    from submissions
    inner join problems
        on submissions.submission_id = problems.submission_id
    where
        submissions.gate_status = 'rejected'
        and problems.check_code = 'several_files_at_once'

),

accepted as (

    select
        submission_id,
        unit_code,
        period_month,
        row_number() over latest_first as version_rank,
        case when has_funds then row_number() over latest_funds_first end as funds_version_rank,
        case when has_outcomes then row_number() over latest_outcomes_first end as outcomes_version_rank,
        row_number() over (
            partition by unit_code, period_month
            order by received_at asc, ingest_seq asc
        ) as accepted_seq,
        first_value(submission_id) over latest_first as latest_submission_id

    from submissions
    where
        gate_status = 'accepted'
        and not exists (
            select 1 as is_tied
            from tied_arrivals
            where
                tied_arrivals.unit_code = submissions.unit_code
                and tied_arrivals.period_month = submissions.period_month
                and tied_arrivals.received_at = submissions.received_at
        )
    window
        latest_first as (
            partition by unit_code, period_month
            order by received_at desc, ingest_seq desc
        ),
        latest_funds_first as (
            partition by unit_code, period_month, has_funds
            order by received_at desc, ingest_seq desc
        ),
        latest_outcomes_first as (
            partition by unit_code, period_month, has_outcomes
            order by received_at desc, ingest_seq desc
        )

),

-- the version a tied submission leaves in force (the latest of the others), if any
latest_of_report as (

    select distinct
        unit_code,
        period_month,
        latest_submission_id
    from accepted

),

ranked as (

    select
        -- ids
        submissions.submission_id,
        submissions.unit_code,
        units.province_code,
        submissions.period_month,

        -- verdict and content
        submissions.gate_status,
        submissions.has_funds,
        submissions.has_outcomes,

        -- version standing
        accepted.version_rank,
        accepted.accepted_seq,
        coalesce(accepted.funds_version_rank = 1, false) as is_current_funds,
        coalesce(accepted.outcomes_version_rank = 1, false) as is_current_outcomes,
        case
            when submissions.gate_status = 'rejected' then 'rejected'
            when accepted.funds_version_rank = 1 then 'accepted'
            when accepted.outcomes_version_rank = 1 then 'accepted'
            when
                not submissions.has_funds
                and not submissions.has_outcomes
                and accepted.version_rank = 1
                then 'accepted'
            else 'superseded'
        end as submission_status,

        -- file
        submissions.file_name,
        submissions.file_sha256,
        submissions.file_format,
        submissions.amount_unit,

        -- timestamps and audit
        submissions.received_at,
        submissions.ingested_at,
        submissions.ingest_seq,
        coalesce(accepted.latest_submission_id, latest_of_report.latest_submission_id) as latest_submission_id

    from submissions
    left join accepted
        on submissions.submission_id = accepted.submission_id
    left join latest_of_report
        on
            submissions.gate_status = 'accepted'
            and submissions.unit_code = latest_of_report.unit_code
            and submissions.period_month = latest_of_report.period_month
    left join units
        on
            {{ unit_version_on('units', 'submissions.unit_code', 'submissions.period_month') }}

),

final as (

    select
        ranked.*,
        case
            when ranked.submission_status = 'superseded' then ranked.latest_submission_id
        end as superseded_by
    from ranked

)

select * from final
