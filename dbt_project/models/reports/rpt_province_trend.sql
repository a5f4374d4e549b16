-- Grain: one row per province version × month × capital year × component: the province totals a
-- report of that province version compares month by month (its trend chart), like with like
-- across the 2025 reform. A province that exists today is compared with every province version
-- that became it (current_province_code: the new Đồng Tháp 82 of 2026 with Tiền Giang 82 and old
-- Đồng Tháp 87 in early 2025), each month summing the versions valid then; a province that has
-- since ended is its own code. A view over published tables: readers filter on province_code,
-- province_valid_from and period_month, which PostgreSQL pushes into the sums.

with

consolidation as (

    select * from {{ ref('mart_province_consolidation') }}

),

provinces as (

    select * from {{ ref('dim_admin_unit') }}
    where unit_level = 'province'

),

-- each province version and the province versions whose months its trend sums
lineage as (

    select
        report.unit_code as province_code,
        report.valid_from as province_valid_from,
        member.unit_code as member_code,
        member.valid_from as member_valid_from,
        member.valid_to as member_valid_to
    from provinces as report
    inner join provinces as member
        on
            case
                when report.valid_to is null
                    then report.current_province_code = member.current_province_code
                else report.unit_code = member.unit_code
            end

),

by_member as (

    select
        lineage.province_code,
        lineage.province_valid_from,
        consolidation.period_month,
        consolidation.province_code as member_code,
        consolidation.capital_year,
        consolidation.component_code,
        sum(consolidation.plan_amount_vnd) as plan_vnd,
        sum(consolidation.disbursed_cumulative_vnd) as disbursed_vnd,
        max(consolidation.units_reported) as units_reported,
        max(consolidation.units_expected) as units_expected
    from consolidation
    inner join lineage
        on
            consolidation.province_code = lineage.member_code
            and consolidation.period_month >= lineage.member_valid_from
            and consolidation.period_month <= coalesce(lineage.member_valid_to, 'infinity')
    group by
        lineage.province_code,
        lineage.province_valid_from,
        consolidation.period_month,
        consolidation.province_code,
        consolidation.capital_year,
        consolidation.component_code

),

final as (

    select
        -- ids
        province_code,
        province_valid_from,
        period_month,
        capital_year,
        component_code,

        -- amounts (whole VND)
        cast(sum(plan_vnd) as numeric(20, 0)) as plan_vnd,
        cast(sum(disbursed_vnd) as numeric(20, 0)) as disbursed_vnd,

        -- coverage
        cast(sum(units_reported) as integer) as units_reported,
        cast(sum(units_expected) as integer) as units_expected

    from by_member
    group by province_code, province_valid_from, period_month, capital_year, component_code

)

select * from final
