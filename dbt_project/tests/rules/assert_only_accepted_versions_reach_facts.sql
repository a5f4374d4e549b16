-- Only the version in force reaches the facts: no fund or outcome row comes from a rejected or
-- superseded submission. On an incremental build, the months it touched (macro test_scope_filter).

select
    'fct_fund_disbursement' as fact,
    facts.submission_id,
    submissions.status
from {{ ref('fct_fund_disbursement') }} as facts
left join {{ ref('fct_submission') }} as submissions
    on facts.submission_id = submissions.submission_id
where
    submissions.status is distinct from 'accepted'
    and {{ test_scope_filter('facts.period_month') }}

union all

select
    'fct_outcome' as fact,
    facts.submission_id,
    submissions.status
from {{ ref('fct_outcome') }} as facts
left join {{ ref('fct_submission') }} as submissions
    on facts.submission_id = submissions.submission_id
where
    submissions.status is distinct from 'accepted'
    and {{ test_scope_filter('facts.period_month') }}
