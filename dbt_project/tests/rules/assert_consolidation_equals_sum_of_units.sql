-- The province consolidation is exactly the sum of its units' rows in fct_fund_disbursement (no
-- row invented, none lost), and units_reported is the number of units whose figures it sums.
-- On an incremental build, the months it touched (macro test_scope_filter).

with

facts as (

    select * from {{ ref('fct_fund_disbursement') }}
    where {{ test_scope_filter('period_month') }}

),

consolidation as (

    select * from {{ ref('mart_province_consolidation') }}
    where {{ test_scope_filter('period_month') }}

),

summed as (

    select
        period_month,
        province_code,
        component_code,
        funding_source_code,
        capital_year,
        sum(plan_amount_vnd) as plan_amount_vnd,
        sum(disbursed_cumulative_vnd) as disbursed_cumulative_vnd,
        sum(disbursed_in_month_vnd) as disbursed_in_month_vnd
    from facts
    group by period_month, province_code, component_code, funding_source_code, capital_year

),

units as (

    select
        period_month,
        province_code,
        count(distinct unit_code) as units_reported
    from facts
    group by period_month, province_code

),

compared as (

    select
        coalesce(summed.period_month, consolidation.period_month) as period_month,
        coalesce(summed.province_code, consolidation.province_code) as province_code,
        coalesce(summed.component_code, consolidation.component_code) as component_code,
        coalesce(summed.funding_source_code, consolidation.funding_source_code) as funding_source_code,
        coalesce(summed.capital_year, consolidation.capital_year) as capital_year,
        summed.plan_amount_vnd as units_plan_vnd,
        consolidation.plan_amount_vnd as consolidated_plan_vnd,
        summed.disbursed_cumulative_vnd as units_disbursed_vnd,
        consolidation.disbursed_cumulative_vnd as consolidated_disbursed_vnd,
        summed.disbursed_in_month_vnd as units_in_month_vnd,
        consolidation.disbursed_in_month_vnd as consolidated_in_month_vnd,
        units.units_reported as units_in_facts,
        consolidation.units_reported
    from summed
    full outer join consolidation
        on
            summed.period_month = consolidation.period_month
            and summed.province_code = consolidation.province_code
            and summed.component_code = consolidation.component_code
            and summed.funding_source_code = consolidation.funding_source_code
            and summed.capital_year = consolidation.capital_year
    left join units
        on
            coalesce(summed.period_month, consolidation.period_month) = units.period_month
            and coalesce(summed.province_code, consolidation.province_code) = units.province_code

)

select *
from compared
where
    units_plan_vnd is distinct from consolidated_plan_vnd
    or units_disbursed_vnd is distinct from consolidated_disbursed_vnd
    or units_in_month_vnd is distinct from consolidated_in_month_vnd
    or units_in_facts is distinct from units_reported
