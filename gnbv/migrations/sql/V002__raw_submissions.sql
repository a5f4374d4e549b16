-- The raw layer: every file received, as read, with lineage to the cell.
-- Written only by intake (one transaction per file); never updated in place: a newer file for
-- the same unit and period is a new submission, and dbt decides which version counts.

create schema if not exists raw;

create table raw.submissions (
    -- ids: content-addressed, so the same bytes are the same submission everywhere
    submission_id       text primary key,
    file_sha256         text not null unique,
    file_name           text not null,
    file_format         text not null,
    file_size_bytes     bigint not null,
    -- what the file says it is (null when it could not be read that far)
    unit_code           text,
    period_month        date check (period_month = date_trunc('month', period_month)),
    amount_unit         text check (amount_unit in ('vnd', 'thousand_vnd', 'million_vnd')),
    -- the gate's verdict
    status              text not null check (status in ('accepted', 'rejected')),
    has_funds           boolean not null default false,
    has_outcomes        boolean not null default false,
    narrative           text,
    -- audit: when it arrived (Asia/Ho_Chi_Minh offset kept), when and by whom it was loaded
    received_at         timestamptz not null,
    ingested_at         timestamptz not null default now(),
    ingested_by         text not null default current_user,
    ingest_seq          bigint generated always as identity,
    reader_version      text not null
);

create index submissions_unit_period_idx on raw.submissions (unit_code, period_month, received_at);

create table raw.fund_amounts (
    submission_id               text not null references raw.submissions on delete cascade,
    capital_year                smallint not null,
    component_code              text not null,
    funding_source_code         text not null,
    plan_amount_vnd             numeric(20, 0),
    disbursed_cumulative_vnd    numeric(20, 0),
    -- lineage: where in the file these two values were typed
    sheet_name                  text,
    row_number                  integer not null,
    plan_cell                   text,
    disbursed_cell              text,
    label_as_written            text not null,
    note                        text,
    primary key (submission_id, capital_year, component_code, funding_source_code)
);

create table raw.outcome_values (
    submission_id           text not null references raw.submissions on delete cascade,
    indicator_code          text not null,
    target_value            numeric(20, 4),
    actual_in_month         numeric(20, 4),
    actual_cumulative       numeric(20, 4),
    sheet_name              text,
    row_number              integer not null,
    target_cell             text,
    actual_in_month_cell    text,
    actual_cumulative_cell  text,
    label_as_written        text not null,
    note                    text,
    primary key (submission_id, indicator_code)
);

-- Every failed or warned check, in the words the sender reads.
create table raw.submission_problems (
    submission_id       text not null references raw.submissions on delete cascade,
    problem_no          integer not null,
    check_code          text not null,
    severity            text not null check (severity in ('error', 'warning')),
    sheet_name          text,
    cell                text,
    value_as_written    text,
    message_vi          text not null,
    message_en          text not null,
    hint_vi             text,
    hint_en             text,
    primary key (submission_id, problem_no)
);
