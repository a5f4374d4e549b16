-- The fund rows that count: those of each unit's current funds version per period (the latest
-- accepted submission with funds). Older versions and rejected submissions never pass.

with

fund_amounts as (

    select * from {{ ref('int_fund_amounts_components_resolved') }}

),

versions as (

    select * from {{ ref('int_submissions_ranked') }}
    where is_current_funds

),

latest as (

    select
        -- ids
        fund_amounts.submission_id,
        fund_amounts.unit_code,
        versions.province_code,
        fund_amounts.period_month,
        fund_amounts.capital_year,
        fund_amounts.component_code,
        fund_amounts.funding_source_code,

        -- amounts (whole VND)
        fund_amounts.plan_amount_vnd,
        fund_amounts.disbursed_cumulative_vnd,
        fund_amounts.is_correction,

        -- version and lineage
        versions.received_at,
        fund_amounts.component_resolved_by,
        fund_amounts.label_as_written,
        fund_amounts.note

    from fund_amounts
    inner join versions
        on fund_amounts.submission_id = versions.submission_id

)

select * from latest
