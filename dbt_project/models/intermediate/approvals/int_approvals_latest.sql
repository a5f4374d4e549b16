-- The state of each unit × month × level × component: its latest action (approve → approved and
-- locked; return → returned to the unit; reopen → open again). Province-level rows cover the
-- whole month (component_code null). Intake states the same rule over raw
-- (ingest/approval_lock.py, LATEST_APPROVALS); tests/test_approvals.py keeps the two equal.

with

approvals as (

    select * from {{ ref('stg_raw__approvals') }}

),

latest as (

    select distinct on (unit_code, period_month, approval_level, coalesce(component_code, ''))
        unit_code,
        period_month,
        approval_level,
        component_code,
        action as latest_action,
        action = 'approve' as is_approved,
        submission_id,
        approval_comment,
        acted_by,
        agency_code,
        acted_at
    from approvals
    order by unit_code asc, period_month asc, approval_level asc, coalesce(component_code, '') asc, approval_id desc

)

select * from latest
