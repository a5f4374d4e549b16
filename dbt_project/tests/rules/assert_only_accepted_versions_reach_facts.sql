-- Only the version in force reaches the facts: no fund or outcome row comes from a rejected or
-- superseded submission. On an incremental build, the months it touched (macro test_scope_filter).
{%- for fact in ['fct_fund_disbursement', 'fct_outcome'] %}

select
    '{{ fact }}' as fact,
    facts.submission_id,
    submissions.status
from {{ ref(fact) }} as facts
left join {{ ref('fct_submission') }} as submissions
    on facts.submission_id = submissions.submission_id
where
    submissions.status is distinct from 'accepted'
    and {{ test_scope_filter('facts.period_month') }}
{%- if not loop.last %}

union all
{%- endif %}
{%- endfor %}
