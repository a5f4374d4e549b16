-- Every administrative unit version with the province it belongs to today, so a 2024 figure
-- can be compared with a 2026 one by today's provinces without counting anything twice.
-- A unit still in force: its own province. An older one, by two routes (the dim uses the first
-- that answers; a data test checks they agree wherever both do):
--   by_successors: the units it became (ref_admin_unit_reform_mapping, whole / partial /
--     continues), when they are all still in force and in one province. This is the commune
--     mapping for a commune; it is incomplete (unmatched communes give no answer);
--   by_province: the province it belonged to at the time, followed link by link through the
--     province mapping (complete) to the version in force (Tiền Giang 82 and Đồng Tháp 87 ->
--     Đồng Tháp 82; Thừa Thiên Huế 46 -> Thành phố Huế 46 -> itself).
-- "Today" is the register's: the versions with no valid_to.

-- A table, not a view: it changes only with the seeds, and a filter from a reader (a data test)
-- pushed into the recursive walk made PostgreSQL's estimates useless (minutes, not milliseconds).
{{ config(materialized='table') }}

with recursive

units as (

    select * from {{ ref('int_admin_units_with_province') }}

),

links as (

    select * from {{ ref('stg_reference__admin_unit_reform_mapping') }}
    where link in ('whole', 'partial', 'continues')

),

province_versions as (

    select
        unit_code,
        valid_from,
        valid_to
    from units
    where unit_level = 'province'

),

-- each province version, walked along the province links to the version in force
province_walk as (

    select
        unit_code as start_code,
        valid_from as start_valid_from,
        unit_code,
        valid_from,
        valid_to
    from province_versions

    union all

    select
        walk.start_code,
        walk.start_valid_from,
        next_version.unit_code,
        next_version.valid_from,
        next_version.valid_to
    from province_walk as walk
    inner join links
        on
            walk.unit_code = links.old_unit_code
            and walk.valid_from = links.old_valid_from
            and links.old_unit_level = 'province'
            -- forward in time only ('continues' links a version to itself): the walk ends
            and walk.valid_from < links.new_valid_from
    inner join province_versions as next_version
        on
            links.new_unit_code = next_version.unit_code
            and links.new_valid_from = next_version.valid_from
    where walk.valid_to is not null

),

province_today as (

    select
        start_code as unit_code,
        start_valid_from as valid_from,
        unit_code as current_province_code
    from province_walk
    where valid_to is null

),

by_successors as (

    select
        links.old_unit_code as unit_code,
        links.old_valid_from as valid_from,
        min(successors.province_code) as current_province_code
    from links
    inner join units as successors
        on
            links.new_unit_code = successors.unit_code
            and links.new_valid_from = successors.valid_from
    group by links.old_unit_code, links.old_valid_from
    having
        count(distinct successors.province_code) = 1
        and bool_and(successors.valid_to is null)

),

-- the province a unit version belonged to when it started (int_admin_units_with_province)
province_then as (

    select
        units.unit_code,
        units.valid_from,
        province_versions.valid_from as province_valid_from
    from units
    inner join province_versions
        on
            units.province_code = province_versions.unit_code
            and {{ valid_on('province_versions', 'units.valid_from') }}

),

final as (

    select
        units.unit_code,
        units.valid_from,
        by_successors.current_province_code as current_province_by_successors,
        province_today.current_province_code as current_province_by_province,
        coalesce(
            case when units.valid_to is null then units.province_code end,
            by_successors.current_province_code,
            province_today.current_province_code
        ) as current_province_code
    from units
    left join by_successors
        on
            units.unit_code = by_successors.unit_code
            and units.valid_from = by_successors.valid_from
    left join province_then
        on
            units.unit_code = province_then.unit_code
            and units.valid_from = province_then.valid_from
    left join province_today
        on
            units.province_code = province_today.unit_code
            and province_then.province_valid_from = province_today.valid_from

)

select * from final
