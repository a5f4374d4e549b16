-- The province consolidation is exactly the sum of its units' rows in fct_fund_disbursement (no
-- row invented, none lost), and units_reported is the number of units whose figures it sums. The
-- comparison is rpt_consolidation_gate's lines, which the consolidation gate checks as well.
-- On an incremental build, the months it touched (macro test_scope_filter).

with

lines as (

    select * from {{ ref('rpt_consolidation_gate') }}
    where {{ test_scope_filter('period_month') }}
        and row_kind = 'line'

)

select
    period_month,
    province_code,
    component_code,
    funding_source_code,
    capital_year,
    units_plan_amount_vnd,
    plan_amount_vnd,
    units_disbursed_cumulative_vnd,
    disbursed_cumulative_vnd,
    units_disbursed_in_month_vnd,
    disbursed_in_month_vnd,
    units_in_facts,
    units_reported
from lines
where
    units_plan_amount_vnd is distinct from plan_amount_vnd
    or units_disbursed_cumulative_vnd is distinct from disbursed_cumulative_vnd
    or units_disbursed_in_month_vnd is distinct from disbursed_in_month_vnd
    or units_in_facts is distinct from units_reported
