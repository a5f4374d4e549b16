-- V008: review and approval of a unit's month (issue 20), bottom-up as DHIS2 does it.
--
-- A lead agency approves a unit's figures of a month for the components it leads, or returns
-- them with a comment the unit reads; the province office then approves the unit's whole month.
-- An approval LOCKS those figures: intake (ingest/approval_lock.py) refuses a new file that
-- changes them, whoever sends it (portal, CLI, DAG), until the approver reopens with a reason.
--
-- Append-only, like the rest of raw: every approve, return and reopen is a row (who, when, why,
-- which version of the figures it looked at), so the history stays; the state of a unit-month-
-- component is its latest row (dbt: int_approvals_latest; intake reads the same rule through
-- ingest.approval_lock.LATEST_APPROVALS, kept equal by tests/test_approvals.py).
--   level 'agency':   one row per component acted on (component_code not null)
--   level 'province': the unit's whole month (component_code null), after the agencies
-- Grants come from V003's default privileges on raw (loader appends and reads, transformer
-- reads); the portal (gnbv_portal, a member of gnbv_loader) appends here.

create table if not exists raw.approvals (
    approval_id     bigint generated always as identity primary key,
    action_group    uuid not null,  -- one approve/return/reopen of several components
    unit_code       text not null,
    period_month    date not null check (extract(day from period_month) = 1),
    level           text not null check (level in ('agency', 'province')),
    component_code  text,
    action          text not null check (action in ('approve', 'return', 'reopen')),
    submission_id   text,           -- the version of the figures looked at (approve, return)
    comment         text,
    acted_by        text not null check (length(btrim(acted_by)) > 0),
    agency_code     text,
    acted_at        timestamptz not null default now(),
    check ((level = 'agency') = (component_code is not null)),
    check (action = 'approve' or length(btrim(coalesce(comment, ''))) > 0)
);

create index if not exists approvals_unit_month_idx on raw.approvals (unit_code, period_month, approval_id);

revoke all on raw.approvals from public;
grant select, insert on raw.approvals to gnbv_loader;
grant select on raw.approvals to gnbv_transformer;

-- The province's workspace in the portal reads the marts (status board, rates, outlier flags)
-- as BI tools do, and the outlier reviews in force (dbt grants it that view).
grant gnbv_bi to gnbv_portal;
grant usage on schema intermediate to gnbv_portal;
