-- Grain: one row per reporting month × province × component × funding source × capital year:
-- the province-wide consolidation a lead agency sends by the 15th. Sums only what units
-- reported (their latest accepted submission); a missing unit adds nothing and is counted in
-- units_expected - units_reported, never estimated. disbursement_rate is a percent (2 decimals).
-- Then `analyze`: a new month is outside the column statistics, and the tests and models
-- after it would plan for one row of it (nested loops over thousands of rows).

--
-- Incremental on (period_month, province_code), delete+insert: a run re-sums only the
-- province-months whose facts changed since its last load: fact rows loaded after this table's
-- latest dbt_loaded_at (index on fct_fund_disbursement.dbt_loaded_at), and province-months whose
-- count of reporting units or of expected units no longer matches (a unit-month gone from the
-- facts, a changed register); both compared per province-month by loose index scans. The
-- post-hook removes the province-months left without any fact. (A table built before it had
-- dbt_loaded_at is re-summed whole once.)

{{
    config(
        materialized='incremental',
        unique_key=['period_month', 'province_code'],
        post_hook=[
            "delete from {{ this }} as consolidated
            using {{ distinct_keys(this, ['period_month', 'province_code']) }} as months
            where
                consolidated.period_month = months.period_month
                and consolidated.province_code = months.province_code
                and not exists (
                    select 1 from {{ ref('fct_fund_disbursement') }} as facts
                    where facts.period_month = months.period_month and facts.province_code = months.province_code
                )",
            "analyze {{ this }}",
        ],
        indexes=[
            {'columns': ['dbt_loaded_at']},
        ],
    )
}}

with

expected as (

    select
        period_month,
        province_code,
        count(*) as units_expected,
        max(province_due_date) as province_due_date
    from {{ ref('int_reporting_units_expected') }}
    group by period_month, province_code

),

{% if is_incremental() %}

fact_units as (

    select
        period_month,
        province_code,
        count(*) as units_reported
    from {{ distinct_keys(ref('fct_fund_disbursement'), ['unit_code', 'period_month'], ['province_code']) }} as months
    group by period_month, province_code

),

consolidated as (

    select * from {{ distinct_keys(this, ['period_month', 'province_code'], ['units_reported', 'units_expected']) }}
        as months

),

affected as (

    select
        period_month,
        province_code
    from {{ ref('fct_fund_disbursement') }}
    {%- if has_column(this, 'dbt_loaded_at') %}
    where
        dbt_loaded_at > (
            select coalesce(max(loaded.dbt_loaded_at), '-infinity') as watermark
            from {{ this }} as loaded
        )
    {%- endif %}

    union

    select
        fact_units.period_month,
        fact_units.province_code
    from fact_units
    left join consolidated
        on
            fact_units.period_month = consolidated.period_month
            and fact_units.province_code = consolidated.province_code
    left join expected
        on
            fact_units.period_month = expected.period_month
            and fact_units.province_code = expected.province_code
    where
        consolidated.units_reported is distinct from fact_units.units_reported
        or consolidated.units_expected is distinct from coalesce(expected.units_expected, 0)

),

facts as (

    select facts.*
    from {{ ref('fct_fund_disbursement') }} as facts
    inner join affected
        on
            facts.period_month = affected.period_month
            and facts.province_code = affected.province_code

),

{% else %}

facts as (

    select * from {{ ref('fct_fund_disbursement') }}

),

{% endif %}

lead_agencies as (

    select * from {{ ref('dim_component_lead_agency') }}

),

reported as (

    select
        period_month,
        province_code,
        count(distinct unit_code) as units_reported
    from facts
    group by period_month, province_code

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
        expected.province_due_date,

        -- lineage
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

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
            and {{ valid_on('lead_agencies', 'summed.period_month') }}

)

select * from final
