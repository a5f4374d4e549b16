-- Every submission with its version standing among the accepted submissions of the same unit
-- and period. Latest = max received_at, then max ingest_seq (the load order breaks ties).
--   funds version:    the latest accepted submission with has_funds    (feeds fct_fund_disbursement)
--   outcomes version: the latest accepted submission with has_outcomes (feeds fct_outcome)
-- submission_status: rejected (the gate said so) | accepted (current for what it carries) |
-- superseded (accepted, but a later accepted submission replaced everything it carried).

with

submissions as (

    select * from {{ ref('stg_raw__submissions') }}

),

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

accepted as (

    select
        submission_id,
        row_number() over latest_first as version_rank,
        case when has_funds then row_number() over latest_funds_first end as funds_version_rank,
        case when has_outcomes then row_number() over latest_outcomes_first end as outcomes_version_rank,
        row_number() over (
            partition by unit_code, period_month
            order by received_at asc, ingest_seq asc
        ) as accepted_seq,
        first_value(submission_id) over latest_first as latest_submission_id

    from submissions
    where gate_status = 'accepted'
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
        accepted.latest_submission_id

    from submissions
    left join accepted
        on submissions.submission_id = accepted.submission_id
    left join units
        on
            submissions.unit_code = units.unit_code
            and submissions.period_month >= units.valid_from
            and (units.valid_to is null or submissions.period_month <= units.valid_to)

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
