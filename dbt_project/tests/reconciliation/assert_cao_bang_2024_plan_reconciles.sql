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

plan_text as (

    select
        'plan text: Tổng kế hoạch vốn 915.696 triệu đồng (NSTW + NSĐP)' as check_name,
        cast(915696000000 as numeric(20, 0)) as expected_vnd,
        sum(amount_vnd) filter (where budget_level in ('NSTW', 'NSDP')) as actual_vnd
    from leaves
    union all
    select
        'plan text: NSTW 886.108 triệu đồng' as check_name,
        cast(886108000000 as numeric(20, 0)) as expected_vnd,
        sum(amount_vnd) filter (where budget_level = 'NSTW') as actual_vnd
    from leaves
    union all
    select
        'plan text: NSTW vốn ĐTPT 440.677 triệu đồng' as check_name,
        cast(440677000000 as numeric(20, 0)) as expected_vnd,
        sum(amount_vnd) filter (where funding_source_code = 'NSTW_DTPT') as actual_vnd
    from leaves
    union all
    select
        'plan text: NSTW vốn SN 445.431 triệu đồng' as check_name,
        cast(445431000000 as numeric(20, 0)) as expected_vnd,
        sum(amount_vnd) filter (where funding_source_code = 'NSTW_SN') as actual_vnd
    from leaves
    union all
    select
        'plan text: NSĐP 29.588 triệu đồng' as check_name,
        cast(29588000000 as numeric(20, 0)) as expected_vnd,
        sum(amount_vnd) filter (where budget_level = 'NSDP') as actual_vnd
    from leaves

),

checks as (

    select * from seed_totals
    union all
    select * from plan_text

)

select *
from checks
where actual_vnd is distinct from expected_vnd
