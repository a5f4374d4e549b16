-- Grain: one row per reporting month × province × scope: the province as a whole
-- (lead_agency_code null) and each of its lead agencies. DHIS2's rates, from
-- mart_reporting_compliance (which decides on time / late / missing): reporting rate = units
-- with an accepted report ÷ units expected; on-time rate = units whose first accepted report
-- came by the deadline ÷ units expected.
-- One Biểu 05 carries every component, so a unit's report reaches each lead agency at once: an
-- agency's expected units and rates are its province's. Each agency still has its own rows, so
-- that the status board and BI read "my rates" the same way for everyone.

with

compliance as (

    select * from {{ ref('mart_reporting_compliance') }}

),

lead_agencies as (

    select distinct
        province_code,
        lead_agency_code
    from {{ ref('dim_component_lead_agency') }}

),

by_province as (

    select
        period_month,
        province_code,
        count(*) as expected_units,
        count(*) filter (where status in ('on_time', 'late')) as reporting_units,
        count(*) filter (where status = 'on_time') as on_time_units,
        count(*) filter (where status = 'late') as late_units,
        count(*) filter (where status = 'missing') as missing_units
    from compliance
    group by period_month, province_code

),

scopes as (

    select
        province_code,
        cast(null as text) as lead_agency_code
    from by_province
    group by province_code

    union all

    select
        province_code,
        lead_agency_code
    from lead_agencies

),

final as (

    select
        -- ids
        by_province.period_month,
        by_province.province_code,
        scopes.lead_agency_code,

        -- counts
        cast(by_province.expected_units as integer) as expected_units,
        cast(by_province.reporting_units as integer) as reporting_units,
        cast(by_province.on_time_units as integer) as on_time_units,
        cast(by_province.late_units as integer) as late_units,
        cast(by_province.missing_units as integer) as missing_units,

        -- rates (exact fractions; shown rounded)
        cast(by_province.reporting_units as numeric) / by_province.expected_units as reporting_rate,
        cast(by_province.on_time_units as numeric) / by_province.expected_units as on_time_rate

    from by_province
    inner join scopes
        on by_province.province_code = scopes.province_code

)

select * from final
