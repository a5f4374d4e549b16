-- Cao Bằng's 2024 capital plan (seed 002, §B.III.1 and §B.IV) reconciles, in whole VND:
-- every total row of ref_plan_figures equals the sum of its leaves (the grand total counts the
-- state budget only, so it leaves out the households' KHAC contribution to DA2), and the leaves
-- give the plan's own figures: 915.696 = NSTW 886.108 (ĐTPT 440.677 + SN 445.431) + NSĐP 29.588
-- triệu đồng. Returns one row per failed check.

with

figures as (

    select * from {{ ref('stg_reference__plan_figures') }}
    where
        province_code = '04'
        and unit_code = '04'
        and plan_year = 2024
        and capital_year = 2024
        and figure_kind = 'plan'

),

funding_sources as (

    select * from {{ ref('stg_reference__funding_sources') }}

),

leaves as (

    select
        figures.*,
        funding_sources.rollup_code
    from figures
    left join funding_sources
        on figures.funding_source_code = funding_sources.funding_source_code
    where figures.is_leaf

),

seed_totals as (

    select
        totals.figure_id as check_name,
        totals.amount_vnd as expected_vnd,
        (
            select coalesce(sum(leaves.amount_vnd), 0) as leaves_vnd
            from leaves
            where
                (totals.component_code is null or leaves.component_code = totals.component_code)
                and (
                    totals.funding_source_code is null
                    or leaves.funding_source_code = totals.funding_source_code
                    or leaves.rollup_code = totals.funding_source_code
                )
                and (totals.budget_level is null or leaves.budget_level = totals.budget_level)
                and (totals.row_role <> 'grand_total' or leaves.budget_level <> 'KHAC')
        ) as actual_vnd
    from figures as totals
    where not totals.is_leaf

),

-- the plan's own figures: which leaves each one sums (a null criterion takes every leaf)
plan_text_figures as (

    select
        check_name,
        cast(expected_vnd as numeric(20, 0)) as expected_vnd,
        budget_levels,
        funding_source_code
    from (
        values
        ('plan text: Tổng kế hoạch vốn 915.696 triệu đồng (NSTW + NSĐP)', 915696000000, array['NSTW', 'NSDP'], null),
        ('plan text: NSTW 886.108 triệu đồng', 886108000000, array['NSTW'], null),
        ('plan text: NSTW vốn ĐTPT 440.677 triệu đồng', 440677000000, null, 'NSTW_DTPT'),
        ('plan text: NSTW vốn SN 445.431 triệu đồng', 445431000000, null, 'NSTW_SN'),
        ('plan text: NSĐP 29.588 triệu đồng', 29588000000, array['NSDP'], null)
    ) as stated (check_name, expected_vnd, budget_levels, funding_source_code)

),

plan_text as (

    select
        plan_text_figures.check_name,
        plan_text_figures.expected_vnd,
        sum(leaves.amount_vnd) as actual_vnd
    from plan_text_figures
    left join leaves
        on
            (plan_text_figures.budget_levels is null or leaves.budget_level = any(plan_text_figures.budget_levels))
            and (
                plan_text_figures.funding_source_code is null
                or plan_text_figures.funding_source_code = leaves.funding_source_code
            )
    group by plan_text_figures.check_name, plan_text_figures.expected_vnd

),

checks as (

    select * from seed_totals
    union all
    select * from plan_text

)

select *
from checks
where actual_vnd is distinct from expected_vnd
