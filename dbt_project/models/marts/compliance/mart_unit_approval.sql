-- Grain: one row per reporting month × unit expected to report (mart_reporting_compliance's
-- rows): whether its figures are approved. approval_status:
--   approved           the province office approved the unit's whole month
--   agencies_approved  every component the unit reported was approved by its lead agency
--   returned           a lead agency or the province returned the figures to the unit
--   not_approved       anything else (partly approved, not yet looked at, nothing sent)
-- The report shows it per unit, so a final report with unapproved lines says so.

with

compliance as (

    select * from {{ ref('mart_reporting_compliance') }}

),

approvals as (

    select * from {{ ref('int_approvals_latest') }}

),

-- the funds versions in force of the unit-months judged here: only their rows are read (the
-- filter on submission_id reaches the primary key of raw.fund_amounts), not every version in
-- force of the whole history; a fund row's unit and month are its submission's
judged_versions as (

    select versions.submission_id
    from {{ ref('int_submissions_ranked') }} as versions
    inner join compliance
        on
            versions.unit_code = compliance.unit_code
            and versions.period_month = compliance.period_month
    where versions.is_current_funds

),

reported_components as (

    select distinct
        fund_amounts.unit_code,
        fund_amounts.period_month,
        fund_amounts.component_code
    from {{ ref('int_fund_amounts_latest') }} as fund_amounts
    where fund_amounts.submission_id = any(array(select judged_versions.submission_id from judged_versions))

),

agency_state as (

    select
        reported_components.unit_code,
        reported_components.period_month,
        count(*) as reported_components,
        count(approvals.unit_code) filter (where approvals.is_approved) as approved_components
    from reported_components
    left join approvals
        on
            reported_components.unit_code = approvals.unit_code
            and reported_components.period_month = approvals.period_month
            and reported_components.component_code = approvals.component_code
            and approvals.approval_level = 'agency'
    group by reported_components.unit_code, reported_components.period_month

),

province_state as (

    select
        unit_code,
        period_month,
        is_approved,
        acted_by,
        acted_at
    from approvals
    where approval_level = 'province'

),

returns as (

    select
        unit_code,
        period_month,
        max(acted_at) as returned_at
    from approvals
    where latest_action = 'return'
    group by unit_code, period_month

),

final as (

    select
        -- ids
        compliance.period_month,
        compliance.province_code,
        compliance.unit_code,

        -- approval
        case
            when province_state.is_approved then 'approved'
            when returns.returned_at is not null then 'returned'
            when
                agency_state.reported_components > 0
                and agency_state.approved_components = agency_state.reported_components
                then 'agencies_approved'
            else 'not_approved'
        end as approval_status,
        cast(coalesce(agency_state.reported_components, 0) as integer) as reported_components,
        cast(coalesce(agency_state.approved_components, 0) as integer) as approved_components,
        case when province_state.is_approved then province_state.acted_by end as approved_by,
        case when province_state.is_approved then province_state.acted_at end as approved_at

    from compliance
    left join agency_state
        on
            compliance.unit_code = agency_state.unit_code
            and compliance.period_month = agency_state.period_month
    left join province_state
        on
            compliance.unit_code = province_state.unit_code
            and compliance.period_month = province_state.period_month
    left join returns
        on
            compliance.unit_code = returns.unit_code
            and compliance.period_month = returns.period_month

)

select * from final
