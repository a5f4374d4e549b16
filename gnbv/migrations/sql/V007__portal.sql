-- V007: the submission portal (`gnbv portal`): its accounts, API tokens, sessions, log-in
-- attempts, the uploads it keeps for download, the consolidations it asks for, and its audit.
--
-- The role gnbv_portal (NOLOGIN group, as V003's) is what the portal's connections act as
-- (`SET ROLE gnbv_portal`, or a log-in made a member of it): it takes files in as intake does
-- (member of gnbv_loader: SELECT, INSERT on raw.*, nothing else there) and keeps its own records
-- in schema portal. The audit is append-only for it (SELECT, INSERT): it cannot rewrite history.
-- Passwords are argon2 hashes made by the portal (argon2-cffi); API tokens are kept as their
-- SHA-256 only (they are 256-bit random, so a fast hash is enough and a lookup by hash works).

do $gnbv$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'gnbv_portal') then
        begin
            create role gnbv_portal nologin;
            comment on role gnbv_portal is
                'gnbv submission portal: intake (member of gnbv_loader) and its own schema portal';
        exception when duplicate_object or unique_violation then
            null;  -- created meanwhile by another database's migration
        end;
    end if;
    execute format('grant connect on database %I to gnbv_portal', current_database());
end
$gnbv$;

grant gnbv_loader to gnbv_portal;

create schema if not exists portal;

create table portal.accounts (
    account_id          bigint generated always as identity primary key,
    name                text not null unique check (name ~ '^[A-Za-z0-9._@-]{2,64}$'),
    role                text not null check (role in ('unit', 'agency', 'province', 'admin')),
    unit_code           text,
    agency_code         text,
    province_code       text,
    password_hash       text not null check (password_hash like '$argon2%'),
    created_at          timestamptz not null default now(),
    password_changed_at timestamptz not null default now(),
    disabled_at         timestamptz,
    -- lockout: consecutive failed log-ins and, after too many, until when log-in is refused
    failed_logins       integer not null default 0,
    locked_until        timestamptz,
    check (role <> 'unit' or unit_code is not null),
    check (role <> 'agency' or (agency_code is not null and province_code is not null)),
    check (role <> 'province' or province_code is not null)
);

create table portal.api_tokens (
    token_id        bigint generated always as identity primary key,
    account_id      bigint not null references portal.accounts,
    token_sha256    text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz not null default now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);

-- A session is a random id in the signed cookie; ending it here (log-out, account disabled,
-- password reset) ends it even for a copy of the cookie.
create table portal.sessions (
    session_sha256  text primary key check (session_sha256 ~ '^[0-9a-f]{64}$'),
    account_id      bigint not null references portal.accounts,
    started_at      timestamptz not null default now(),
    last_seen_at    timestamptz not null default now(),
    ended_at        timestamptz
);

create index sessions_account_idx on portal.sessions (account_id) where ended_at is null;

create table portal.login_attempts (
    attempt_id  bigint generated always as identity primary key,
    name_tried  text not null,
    client      text,
    attempted_at timestamptz not null default now(),
    succeeded   boolean not null
);

create index login_attempts_name_idx on portal.login_attempts (name_tried, attempted_at);
create index login_attempts_client_idx on portal.login_attempts (client, attempted_at);

-- Every file sent through the portal, as sent, and what the sender may download beside it (the
-- verdict note, the workbook with its faulty cells marked). Ids are numbers: a download names
-- an upload, never a path.
create table portal.uploads (
    upload_id           bigint generated always as identity primary key,
    account_id          bigint not null references portal.accounts,
    unit_code           text not null,
    expected_period     date,
    file_name           text not null,
    file_bytes          bytea not null,
    received_at         timestamptz not null,
    verdict             text not null check (verdict in ('accepted', 'rejected', 'duplicate', 'refused')),
    submission_id       text,
    period_month        date,
    late                boolean,
    days_late           integer,
    note_text           text,
    marked_name         text,
    marked_bytes        bytea,
    summary             jsonb not null default '{}'::jsonb
);

create index uploads_unit_idx on portal.uploads (unit_code, received_at);

-- Consolidations asked for by accepted uploads. The intake DAG announces them with its own
-- (asset gnbv://warehouse/raw_submissions), so a month whose deadline has passed is consolidated
-- again as for a late inbox file; announced_at marks what was handed over.
create table portal.consolidation_requests (
    request_id      bigint generated always as identity primary key,
    province_code   text not null,
    period_month    date not null,
    submission_id   text not null,
    requested_at    timestamptz not null default now(),
    announced_at    timestamptz
);

create index consolidation_requests_pending_idx on portal.consolidation_requests (requested_at)
where announced_at is null;

create table portal.audit_log (
    audit_id        bigint generated always as identity primary key,
    at              timestamptz not null default now(),
    account_id      bigint references portal.accounts,
    account_name    text,
    action          text not null,
    outcome         text not null,
    unit_code       text,
    period_month    date,
    submission_id   text,
    upload_id       bigint,
    client          text,
    detail          jsonb not null default '{}'::jsonb
);

create index audit_log_at_idx on portal.audit_log (at);

revoke all on all tables in schema portal from public;
grant usage on schema portal to gnbv_portal;
-- accounts and tokens are made by `gnbv users` (the warehouse owner); the portal only counts
-- failed log-ins and notes when a token was used
grant select, update (failed_logins, locked_until) on portal.accounts to gnbv_portal;
grant select, update (last_used_at) on portal.api_tokens to gnbv_portal;
grant select, insert, update (last_seen_at, ended_at) on portal.sessions to gnbv_portal;
grant select, insert on portal.login_attempts, portal.uploads, portal.audit_log to gnbv_portal;
grant select, insert on portal.consolidation_requests to gnbv_portal;
-- the intake DAG (gnbv_loader) hands the requests over to the consolidation
grant usage on schema portal to gnbv_loader;
grant select, update (announced_at) on portal.consolidation_requests to gnbv_loader;
