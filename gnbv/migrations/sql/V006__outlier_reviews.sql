-- V006: reviews of outlier flags (marts.fct_outlier_flag; `gnbv outliers review`).
--
-- An outlier is a figure to look at, never a rejection: someone looks at it and writes what they
-- found. Append-only like the rest of raw (a second review of the same flag is a new row; the
-- latest counts, dbt's int_outlier_reviews_latest). A review is bound to the version of the
-- figures it looked at (submission_id): when the unit sends a new version, the flag is open
-- again. Grants come from V003's default privileges on raw (loader appends, transformer reads).

create table if not exists raw.outlier_reviews (
    review_id       bigint generated always as identity primary key,
    flag_id         text not null,
    submission_id   text not null,
    comment         text not null check (length(btrim(comment)) > 0),
    reviewed_by     text not null check (length(btrim(reviewed_by)) > 0),
    reviewed_at     timestamptz not null default now()
);

create index if not exists outlier_reviews_flag_idx on raw.outlier_reviews (flag_id, reviewed_at);

-- as V003's default privileges give (explicit, whoever runs the migrations)
revoke all on raw.outlier_reviews from public;
grant select, insert on raw.outlier_reviews to gnbv_loader;
grant select on raw.outlier_reviews to gnbv_transformer;
