-- Disbursement in the month from the cumulative figures.
-- Rule: the form's cumulative ("Giải ngân lũy kế đến thời điểm báo cáo") runs from the start of
-- the reporting year, for every capital year (capital carried over from year Y is reported on
-- year Y+1's forms, cumulative since January of Y+1). So, for the same unit, component, funding
-- source and capital year:
--   disbursed_in_month = cumulative - cumulative of the latest earlier month of the same
--                        reporting year that reported a cumulative for that row;
--   the first report of a year (normally January) counts its whole cumulative;
--   a row with no cumulative (empty cell) has no increment (null, never 0).
-- A skipped month therefore folds into the next reported month; a negative increment is a
-- decrease, allowed only on rows marked as corrections (tested).

with

latest as (

    select * from {{ ref('int_fund_amounts_latest') }}

),

with_previous as (

    select
        unit_code,
        period_month,
        capital_year,
        component_code,
        funding_source_code,
        lag(period_month) over reporting_year as previous_period_month,
        lag(disbursed_cumulative_vnd) over reporting_year as previous_cumulative_vnd
    from latest
    where disbursed_cumulative_vnd is not null
    window reporting_year as (
        partition by
            unit_code,
            component_code,
            funding_source_code,
            capital_year,
            extract(year from period_month)
        order by period_month
    )

),

increments as (

    select
        -- ids
        latest.submission_id,
        latest.unit_code,
        latest.province_code,
        latest.period_month,
        latest.capital_year,
        latest.component_code,
        latest.funding_source_code,

        -- amounts (whole VND)
        latest.plan_amount_vnd,
        latest.disbursed_cumulative_vnd,
        latest.is_correction,
        with_previous.previous_period_month,
        with_previous.previous_cumulative_vnd,
        cast(
            latest.disbursed_cumulative_vnd - coalesce(with_previous.previous_cumulative_vnd, 0)
            as numeric(20, 0)
        ) as disbursed_in_month_vnd,

        -- version and lineage
        latest.received_at,
        latest.component_resolved_by,
        latest.label_as_written,
        latest.note
    from latest
    left join with_previous
        on
            latest.unit_code = with_previous.unit_code
            and latest.period_month = with_previous.period_month
            and latest.capital_year = with_previous.capital_year
            and latest.component_code = with_previous.component_code
            and latest.funding_source_code = with_previous.funding_source_code

)

select * from increments
