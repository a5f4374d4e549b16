-- Thừa Thiên Huế's 2024 poverty appendix (seed 001), as loaded into fct_poverty: the districts
-- sum to the province row, which says 7.540 poor households at the start of 2024, a target
-- decrease of 1.595 and 5.945 left at the end of the year. Returns one row per failed check.

with

plan_rows as (

    select * from {{ ref('fct_poverty') }}
    where
        source = 'plan'
        and year = 2024
        and province_code = '46'

),

province as (

    select
        poor_households,
        target_reduction,
        target_poor_households
    from plan_rows
    where unit_code = province_code

),

districts as (

    select
        count(*) as n_districts,
        sum(poor_households) as poor_households,
        sum(target_reduction) as target_reduction,
        sum(target_poor_households) as target_poor_households
    from plan_rows
    where unit_code <> province_code

),

checks as (

    select
        'poor households: districts = province = 7.540' as check_name,
        districts.poor_households as districts_value,
        province.poor_households as province_value,
        7540 as plan_text_value
    from districts cross join province
    union all
    select
        'target decrease: districts = province = 1.595' as check_name,
        districts.target_reduction as districts_value,
        province.target_reduction as province_value,
        1595 as plan_text_value
    from districts cross join province
    union all
    select
        'poor households left: districts = province = 5.945' as check_name,
        districts.target_poor_households as districts_value,
        province.target_poor_households as province_value,
        5945 as plan_text_value
    from districts cross join province
    union all
    select
        'nine districts and one province row' as check_name,
        districts.n_districts as districts_value,
        (select count(*) as n_rows from province) as province_value,
        9 as plan_text_value
    from districts

)

select *
from checks
where
    districts_value is distinct from plan_text_value
    or (check_name <> 'nine districts and one province row' and province_value is distinct from plan_text_value)
    or (check_name = 'nine districts and one province row' and province_value <> 1)
