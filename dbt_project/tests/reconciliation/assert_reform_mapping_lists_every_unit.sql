-- Nothing is silently dropped from the reform mapping: every province and commune that ends the
-- day before a reform, and every one that starts on it, has a row at the levels the reform's
-- rows cover (a link, or 'unmatched' where the name-matched commune evidence does not reach it);
-- every province in a reform has exactly one successor province. Districts were abolished: they
-- reach today's units through their communes (and their province), so they are not listed.

with

links as (

    select * from {{ ref('stg_reference__admin_unit_reform_mapping') }}

),

units as (

    select * from {{ ref('stg_reference__admin_units') }}
    where unit_level in ('province', 'commune')

),

-- the levels a reform's rows cover (Huế's of 2025-01-01 is recorded for its province only)
reform_levels as (

    select distinct
        reform_date,
        old_unit_level as unit_level
    from links
    where old_unit_level is not null

    union

    select distinct
        reform_date,
        new_unit_level as unit_level
    from links
    where new_unit_level is not null

),

ended as (

    select
        units.unit_code,
        units.valid_from,
        units.unit_level,
        reform_levels.reform_date
    from units
    inner join reform_levels
        on
            units.unit_level = reform_levels.unit_level
            and units.valid_to = reform_levels.reform_date - 1

),

started as (

    select
        units.unit_code,
        units.valid_from,
        reform_levels.reform_date
    from units
    inner join reform_levels
        on
            units.unit_level = reform_levels.unit_level
            and units.valid_from = reform_levels.reform_date

),

province_successors as (

    select
        links.reform_date,
        links.old_unit_code,
        links.old_valid_from,
        count(distinct links.new_unit_code) as successors
    from links
    where links.old_unit_level = 'province' and links.link <> 'unmatched'
    group by links.reform_date, links.old_unit_code, links.old_valid_from

),

provinces_in_a_reform as (

    -- ended the day before, or named on the old side (a province that continues)
    select
        unit_code,
        valid_from,
        reform_date
    from ended
    where unit_level = 'province'

    union

    select
        old_unit_code as unit_code,
        old_valid_from as valid_from,
        reform_date
    from links
    where old_unit_level = 'province'

),

old_sides as (

    select distinct
        reform_date,
        old_unit_code as unit_code,
        old_valid_from as valid_from
    from links
    where old_unit_code is not null

),

new_sides as (

    select distinct
        reform_date,
        new_unit_code as unit_code,
        new_valid_from as valid_from
    from links
    where new_unit_code is not null

)

select
    'ended, not in the mapping' as problem,
    ended.unit_code,
    ended.valid_from
from ended
left join old_sides
    on
        ended.reform_date = old_sides.reform_date
        and ended.unit_code = old_sides.unit_code
        and ended.valid_from = old_sides.valid_from
where old_sides.unit_code is null

union all

select
    'started, not in the mapping' as problem,
    started.unit_code,
    started.valid_from
from started
left join new_sides
    on
        started.reform_date = new_sides.reform_date
        and started.unit_code = new_sides.unit_code
        and started.valid_from = new_sides.valid_from
where new_sides.unit_code is null

union all

select
    'province without exactly one successor' as problem,
    provinces_in_a_reform.unit_code,
    provinces_in_a_reform.valid_from
from provinces_in_a_reform
left join province_successors
    on
        provinces_in_a_reform.reform_date = province_successors.reform_date
        and provinces_in_a_reform.unit_code = province_successors.old_unit_code
        and provinces_in_a_reform.valid_from = province_successors.old_valid_from
where coalesce(province_successors.successors, 0) <> 1
