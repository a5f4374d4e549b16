{#-
    The rule of disbursement in the month (int_fund_amounts_monthly_increments), shared with the
    incremental fact: for the same unit, component, funding source and capital year, cumulative
    minus the cumulative of the latest earlier month of the same reporting year that reported
    one; the year's first report counts its whole cumulative; no cumulative, no increment.
    `latest`: the rows to compute (columns of int_fund_amounts_latest); `earlier`: optional
    relation of already computed rows (period_month, unit_code, component_code,
    funding_source_code, capital_year, disbursed_cumulative_vnd) that only serve as previous
    months. Expands to CTEs `with_previous` and `increments`.
-#}
{% macro monthly_increments_ctes(latest, earlier=none) -%}
-- every reported row with the latest earlier one of its series in the reporting year
with_previous as (

    select
        reported.*,
        lag(period_month) over reporting_year as previous_period_month,
        lag(disbursed_cumulative_vnd) over reporting_year as previous_cumulative_vnd
    from (
        {%- for reported in [latest, earlier] if reported %}
        select
            unit_code,
            period_month,
            capital_year,
            component_code,
            funding_source_code,
            disbursed_cumulative_vnd
        from {{ reported }}
        where disbursed_cumulative_vnd is not null
        {%- if not loop.last %}

        union all
        {%- endif %}
        {%- endfor %}
    ) as reported
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
    from {{ latest }} as latest
    left join with_previous
        on
            latest.unit_code = with_previous.unit_code
            and latest.period_month = with_previous.period_month
            and latest.capital_year = with_previous.capital_year
            and latest.component_code = with_previous.component_code
            and latest.funding_source_code = with_previous.funding_source_code

)
{%- endmacro %}
