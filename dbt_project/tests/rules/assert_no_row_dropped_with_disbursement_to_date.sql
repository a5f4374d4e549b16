-- A row that had cumulative disbursement in a month is still there the next month of the same
-- reporting year, when the unit reported funds that month: dropped, it would make the unit's and
-- the province's cumulative fall with no row to show it (intake's gate refuses such a file:
-- check row_dropped). To withdraw a component, a unit sends its row with the new figures and a
-- correction note. January starts a new count. Returns each dropped row with the month it left.

with

facts as (

    select * from {{ ref('fct_fund_disbursement') }}

),

months_with_funds as (

    select distinct
        unit_code,
        period_month
    from facts

),

next_month as (

    select
        facts.unit_code,
        facts.period_month,
        facts.component_code,
        facts.funding_source_code,
        facts.capital_year,
        facts.disbursed_cumulative_vnd,
        facts.submission_id,
        cast(facts.period_month + interval '1 month' as date) as next_period_month
    from facts
    where
        facts.disbursed_cumulative_vnd > 0
        and extract(month from facts.period_month) < 12

)

select
    next_month.unit_code,
    next_month.next_period_month as period_month,
    next_month.period_month as previous_period_month,
    next_month.component_code,
    next_month.funding_source_code,
    next_month.capital_year,
    next_month.disbursed_cumulative_vnd as previous_cumulative_vnd,
    next_month.submission_id as previous_submission_id
from next_month
inner join months_with_funds
    on
        next_month.unit_code = months_with_funds.unit_code
        and next_month.next_period_month = months_with_funds.period_month
left join facts as kept
    on
        next_month.unit_code = kept.unit_code
        and next_month.next_period_month = kept.period_month
        and next_month.component_code = kept.component_code
        and next_month.funding_source_code = kept.funding_source_code
        and next_month.capital_year = kept.capital_year
where
    kept.unit_code is null
    and {{ test_scope_filter('next_month.next_period_month') }}
