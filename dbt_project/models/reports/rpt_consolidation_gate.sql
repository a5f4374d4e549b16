-- Grain: one row per province × month × check: each consolidation line beside the sum of its
-- units' figures (row_kind 'line'), each unit the register expects beside its compliance status
-- ('unit'), each province plan line beside the plan the seeds allocate ('plan'). The one home of
-- "a consolidation equals the sum of its units": the dbt test
-- assert_consolidation_equals_sum_of_units and the consolidation gate's Great Expectations suite
-- (gnbv/consolidation_gate.py, run before a report is published) both read it.
--
-- Recomputed from the facts, the unit dimension and the plans, not from the consolidation's own
-- counts, so that a wrong consolidation cannot vouch for itself. A view over published tables:
-- readers filter on province_code and period_month, which PostgreSQL pushes into every branch
-- (the lines are a union and a group by, not a full outer join, and the CTEs read twice are
-- `not materialized`, for that reason: a materialized CTE would read every month first).

with

consolidation as not materialized (

    select * from {{ ref('mart_province_consolidation') }}

),

facts as not materialized (

    select * from {{ ref('fct_fund_disbursement') }}

),

periods as (

    select * from {{ ref('dim_period') }}

),

admin_units as (

    select * from {{ ref('dim_admin_unit') }}

),

compliance as (

    select * from {{ ref('mart_reporting_compliance') }}

),

allocations as not materialized (

    select * from {{ ref('rpt_plan_allocation') }}

),

allocated_units as (

    select distinct
        plan_year,
        unit_code
    from allocations

),

-- lines: the consolidation's figures and its units' sums side by side --------------------------

-- each line's figures from both sides: the consolidation's own row and every unit's fact row
line_figures as (
    {%- for relation in ['consolidation', 'facts'] %}

    select
        {{ 'true' if relation == 'consolidation' else 'false' }} as is_consolidation,
        province_code,
        period_month,
        component_code,
        funding_source_code,
        capital_year,
        plan_amount_vnd,
        disbursed_cumulative_vnd,
        disbursed_in_month_vnd,
        {%- if relation == 'consolidation' %}
        units_reported
        {%- else %}
        cast(null as integer) as units_reported
        {%- endif %}
    from {{ relation }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

units_in_facts as (

    select
        province_code,
        period_month,
        count(distinct unit_code) as units_in_facts
    from facts
    group by province_code, period_month

),

lines as (

    select
        line_figures.province_code,
        line_figures.period_month,
        line_figures.component_code,
        line_figures.funding_source_code,
        line_figures.capital_year,
        max(line_figures.plan_amount_vnd) filter (where line_figures.is_consolidation) as plan_amount_vnd,
        max(line_figures.disbursed_cumulative_vnd) filter (
            where line_figures.is_consolidation
        ) as disbursed_cumulative_vnd,
        max(line_figures.disbursed_in_month_vnd) filter (where line_figures.is_consolidation) as disbursed_in_month_vnd,
        coalesce(max(line_figures.plan_amount_vnd) filter (where line_figures.is_consolidation), 0) as plan_ceiling_vnd,
        sum(line_figures.plan_amount_vnd) filter (where not line_figures.is_consolidation) as units_plan_amount_vnd,
        sum(line_figures.disbursed_cumulative_vnd) filter (
            where not line_figures.is_consolidation
        ) as units_disbursed_cumulative_vnd,
        sum(line_figures.disbursed_in_month_vnd) filter (
            where not line_figures.is_consolidation
        ) as units_disbursed_in_month_vnd,
        max(line_figures.units_reported) as units_reported
    from line_figures
    group by
        line_figures.province_code,
        line_figures.period_month,
        line_figures.component_code,
        line_figures.funding_source_code,
        line_figures.capital_year

),

-- units: who reports to the province in the month, and whether compliance accounts for them ----

-- its own children valid at some point in the month (districts until 2025-06-30, communes from
-- 2025-07-01; a commune under a district reported through it), in months where the province's
-- calendar sets a monthly report (no calendar, no obligation)
units_in_month as not materialized (

    select
        periods.province_code,
        periods.period_month,
        unit.unit_code,
        unit.unit_level = 'commune' and allocated.unit_code is not null as is_allocated_commune
    from periods
    inner join admin_units as unit
        on
            periods.province_code = unit.parent_unit_code
            and unit.unit_level in ('district', 'commune')
            and {{ valid_in_month('unit', 'periods.period_month') }}
    left join allocated_units as allocated
        on
            unit.unit_code = allocated.unit_code
            and periods.year = allocated.plan_year
    where periods.has_monthly_calendar

),

-- where the province allocates capital to communes that year, only those communes report (the
-- rule of int_reporting_units_expected, checked here independently of the compliance mart)
allocating_months as (

    select distinct
        province_code,
        period_month
    from units_in_month
    where is_allocated_commune

),

expected_units as (

    select distinct
        units_in_month.province_code,
        units_in_month.period_month,
        units_in_month.unit_code,
        compliance.status as compliance_status
    from units_in_month
    left join allocating_months
        on
            units_in_month.province_code = allocating_months.province_code
            and units_in_month.period_month = allocating_months.period_month
    left join compliance
        on
            units_in_month.unit_code = compliance.unit_code
            and units_in_month.period_month = compliance.period_month
    where allocating_months.province_code is null or units_in_month.is_allocated_commune

),

-- plan: the province's plan of the year beside the plan the seeds allocate it -------------------

province_plan as (

    select
        province_code,
        period_month,
        component_code,
        funding_source_code,
        sum(plan_amount_vnd) as plan_amount_vnd
    from consolidation
    where capital_year = extract(year from period_month)
    group by province_code, period_month, component_code, funding_source_code

),

allocated_plan as (

    select
        plan_year,
        unit_code,
        component_code,
        funding_source_code,
        sum(amount_vnd) as reference_plan_vnd
    from allocations
    where is_leaf
    group by plan_year, unit_code, component_code, funding_source_code

),

plan as (

    select
        province_plan.province_code,
        province_plan.period_month,
        province_plan.component_code,
        province_plan.funding_source_code,
        province_plan.plan_amount_vnd,
        allocated_plan.reference_plan_vnd
    from province_plan
    inner join allocated_plan
        on
            province_plan.province_code = allocated_plan.unit_code
            and extract(year from province_plan.period_month) = allocated_plan.plan_year
            and province_plan.component_code = allocated_plan.component_code
            and province_plan.funding_source_code = allocated_plan.funding_source_code

),

final as (

    select
        'line' as row_kind,
        lines.province_code,
        lines.period_month,
        lines.component_code,
        lines.funding_source_code,
        lines.capital_year,
        cast(lines.plan_amount_vnd as numeric(20, 0)) as plan_amount_vnd,
        cast(lines.disbursed_cumulative_vnd as numeric(20, 0)) as disbursed_cumulative_vnd,
        cast(lines.disbursed_in_month_vnd as numeric(20, 0)) as disbursed_in_month_vnd,
        cast(lines.plan_ceiling_vnd as numeric(20, 0)) as plan_ceiling_vnd,
        cast(lines.units_plan_amount_vnd as numeric(20, 0)) as units_plan_amount_vnd,
        cast(lines.units_disbursed_cumulative_vnd as numeric(20, 0)) as units_disbursed_cumulative_vnd,
        cast(lines.units_disbursed_in_month_vnd as numeric(20, 0)) as units_disbursed_in_month_vnd,
        lines.units_reported,
        cast(units_in_facts.units_in_facts as integer) as units_in_facts,
        cast(null as text) as unit_code,
        cast(null as text) as compliance_status,
        cast(null as numeric(20, 0)) as reference_plan_vnd
    from lines
    left join units_in_facts
        on
            lines.province_code = units_in_facts.province_code
            and lines.period_month = units_in_facts.period_month

    union all

    select
        'unit' as row_kind,
        province_code,
        period_month,
        cast(null as text) as component_code,
        cast(null as text) as funding_source_code,
        cast(null as integer) as capital_year,
        cast(null as numeric(20, 0)) as plan_amount_vnd,
        cast(null as numeric(20, 0)) as disbursed_cumulative_vnd,
        cast(null as numeric(20, 0)) as disbursed_in_month_vnd,
        cast(null as numeric(20, 0)) as plan_ceiling_vnd,
        cast(null as numeric(20, 0)) as units_plan_amount_vnd,
        cast(null as numeric(20, 0)) as units_disbursed_cumulative_vnd,
        cast(null as numeric(20, 0)) as units_disbursed_in_month_vnd,
        cast(null as integer) as units_reported,
        cast(null as integer) as units_in_facts,
        unit_code,
        compliance_status,
        cast(null as numeric(20, 0)) as reference_plan_vnd
    from expected_units

    union all

    select
        'plan' as row_kind,
        province_code,
        period_month,
        component_code,
        funding_source_code,
        cast(null as integer) as capital_year,
        cast(plan_amount_vnd as numeric(20, 0)) as plan_amount_vnd,
        cast(null as numeric(20, 0)) as disbursed_cumulative_vnd,
        cast(null as numeric(20, 0)) as disbursed_in_month_vnd,
        cast(null as numeric(20, 0)) as plan_ceiling_vnd,
        cast(null as numeric(20, 0)) as units_plan_amount_vnd,
        cast(null as numeric(20, 0)) as units_disbursed_cumulative_vnd,
        cast(null as numeric(20, 0)) as units_disbursed_in_month_vnd,
        cast(null as integer) as units_reported,
        cast(null as integer) as units_in_facts,
        cast(null as text) as unit_code,
        cast(null as text) as compliance_status,
        cast(reference_plan_vnd as numeric(20, 0)) as reference_plan_vnd
    from plan

)

select * from final
