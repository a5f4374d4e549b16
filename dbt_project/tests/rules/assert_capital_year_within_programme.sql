-- A capital vintage runs from the first capital year any program funds (seed ref_programs, the
-- bound intake's gate reads too: Reference.first_capital_year) to the year of the report: "Vốn năm 2025" in a 2024 report, or a vintage of
-- 1900, is a typing error, never money. Returns each offending fact row.

with

programme as (

    select min(capital_year_from) as start_year from {{ ref('stg_reference__programs') }}

)

select
    facts.period_month,
    facts.unit_code,
    facts.component_code,
    facts.funding_source_code,
    facts.capital_year,
    programme.start_year,
    facts.submission_id
from {{ ref('fct_fund_disbursement') }} as facts
cross join programme
where
    (facts.capital_year < programme.start_year or facts.capital_year > extract(year from facts.period_month))
    and {{ test_scope_filter('facts.period_month') }}
