-- Cumulative disbursement never decreases within a reporting year unless the row is marked as a
-- correction (its note, Ghi chú, holds a marker of ref_correction_phrases that no negation comes
-- right before: macro is_correction_note). Returns each offending row with the earlier month it
-- decreased from. On an incremental build, the months it touched (macro test_scope_filter).
-- Intake's gate refuses such a file before it lands, on both sides of the fall (checks
-- cumulative_decreased and cumulative_above_later_month: ingest/load.py, figures_of_the_year).

select
    period_month,
    unit_code,
    component_code,
    funding_source_code,
    capital_year,
    previous_period_month,
    disbursed_cumulative_vnd,
    disbursed_in_month_vnd,
    submission_id
from {{ ref('fct_fund_disbursement') }}
where
    disbursed_in_month_vnd < 0
    and not is_correction
    and {{ test_scope_filter('period_month') }}
