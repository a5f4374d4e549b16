-- Grain: one row per reporting month × province × component × funding source × capital year:
-- the province-wide consolidation a lead agency sends by the 15th. Sums only what units
-- reported (their latest accepted submission); a missing unit adds nothing and is counted in
-- units_expected - units_reported, never estimated. disbursement_rate is a percent (2 decimals).

with

facts as (

    select * from {{ ref('fct_fund_disbursement') }}

),

expected as (

    select
        period_month,
        province_code,
        count(*) as units_expected,
        max(province_due_date) as province_due_date
    from {{ ref('int_reporting_units_expected') }}
    group by period_month, province_code

),

reported as (

    select
        period_month,
        province_code,
        count(distinct unit_code) as units_reported
    from facts
    group by period_month, province_code

),

lead_agencies as (

    select * from {{ ref('dim_component_lead_agency') }}

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
        sum(disbursed_in_month_vnd) as disbursed_in_month_vnd,
        count(distinct unit_code) as units_with_figures
    from facts
    group by period_month, province_code, component_code, funding_source_code, capital_year

),

final as (

    select
        -- ids
        summed.period_month,
        summed.province_code,
        summed.component_code,
        summed.funding_source_code,
        summed.capital_year,
        lead_agencies.lead_agency_code,

        -- amounts (whole VND)
        cast(summed.plan_amount_vnd as numeric(20, 0)) as plan_amount_vnd,
        cast(summed.disbursed_cumulative_vnd as numeric(20, 0)) as disbursed_cumulative_vnd,
        cast(summed.disbursed_in_month_vnd as numeric(20, 0)) as disbursed_in_month_vnd,
        cast(
            round(100 * summed.disbursed_cumulative_vnd / nullif(summed.plan_amount_vnd, 0), 2)
            as numeric(9, 4)
        ) as disbursement_rate,

        -- coverage
        cast(coalesce(expected.units_expected, 0) as integer) as units_expected,
        cast(reported.units_reported as integer) as units_reported,
        cast(summed.units_with_figures as integer) as units_with_figures,
        reported.units_reported >= coalesce(expected.units_expected, 0) as is_complete,
        expected.province_due_date

    from summed
    inner join reported
        on
            summed.period_month = reported.period_month
            and summed.province_code = reported.province_code
    left join expected
        on
            summed.period_month = expected.period_month
            and summed.province_code = expected.province_code
    left join lead_agencies
        on
            summed.province_code = lead_agencies.province_code
            and summed.component_code = lead_agencies.component_code

)

select * from final
