-- V009: the raw children's link to raw.submissions, checked once per statement instead of per row.
--
-- Why: a foreign key is checked row by row — PostgreSQL runs one internal trigger, and in it one
-- `select ... for key share` on the parent, for every row inserted. Intake lands a batch of files
-- as a few COPYs of tens of thousands of rows that all refer to a few hundred submissions, so the
-- per-row checks were most of the load's server time (docs/performance.md, "Loading"). The
-- triggers below check the same thing once per statement, over the statement's rows (a transition
-- table): one query for all of them.
--
-- What holds, as with the foreign keys of V002 (`references raw.submissions on delete cascade`):
--   * INSERT into raw.fund_amounts, raw.outcome_values or raw.submission_problems, or UPDATE of
--     them: every submission_id the statement wrote is in raw.submissions, and those submissions
--     are locked FOR KEY SHARE until the transaction ends (so a concurrent delete cannot slip in
--     between); otherwise the whole statement fails with SQLSTATE 23503 (foreign_key_violation),
--     naming the table and a missing id.
--   * DELETE from raw.submissions deletes the rows of the three tables that refer to it.
--   * UPDATE of raw.submissions that takes away a submission_id still referred to is refused
--     (23503), as a foreign key's NO ACTION does; raw is never updated in place anyway.
--   * TRUNCATE of raw.submissions while one of the three still has rows is refused (23503).
--     Truncate the four together (`truncate raw.submission_problems, raw.outcome_values,
--     raw.fund_amounts, raw.submissions`): CASCADE no longer reaches the three.
--   * DELETE, UPDATE and TRUNCATE of raw.submissions run in READ COMMITTED only: there the
--     checks' queries see what other transactions committed meanwhile (a foreign key sees it in
--     any isolation level with a snapshot of its own, which a trigger cannot take). Only
--     maintenance does them: intake (gnbv_loader) may not.
--
-- The functions are SECURITY DEFINER, owned by the role running the migrations (the owner of the
-- raw tables), with a fixed search_path: intake needs no privilege beyond V003's (locking FOR KEY
-- SHARE would otherwise need UPDATE on raw.submissions), and no one can call them directly.

do $gnbv$
declare
    fk record;
begin
    for fk in
        select conrelid::regclass as child, conname
        from pg_catalog.pg_constraint
        where contype = 'f'
            and confrelid = 'raw.submissions'::regclass
            and conrelid in ('raw.fund_amounts'::regclass, 'raw.outcome_values'::regclass,
                             'raw.submission_problems'::regclass)
    loop
        execute format('alter table %s drop constraint %I', fk.child, fk.conname);
    end loop;
end
$gnbv$;

-- Children: the submissions the statement's rows refer to exist, and stay until commit.
create or replace function raw.check_rows_have_their_submission()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
    referred text[];
    locked bigint;
    missing text;
begin
    select array_agg(distinct submission_id) into referred
    from new_rows
    where submission_id is not null;
    if referred is null then
        return null;
    end if;
    -- one query for all of them (the primary key's index), where a foreign key runs one per row
    perform from raw.submissions where submission_id = any (referred) for key share;
    get diagnostics locked = row_count;
    if locked < cardinality(referred) then
        select r into missing
        from unnest(referred) as r
        where not exists (select from raw.submissions as s where s.submission_id = r)
        limit 1;
        raise exception using
            errcode = 'foreign_key_violation',
            message = format('insert or update on table %I.%I refers to submission %s, which is not in raw.submissions',
                             tg_table_schema, tg_table_name, missing),
            detail = format('Key (submission_id)=(%s) is not present in table "submissions".', missing),
            schema = tg_table_schema,
            table = tg_table_name,
            column = 'submission_id';
    end if;
    return null;
end
$fn$;

-- raw.submissions: DELETE, UPDATE and TRUNCATE only where the checks see concurrent commits.
create or replace function raw.require_read_committed(action text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if current_setting('transaction_isolation') <> 'read committed' then
        raise exception using
            errcode = 'feature_not_supported',
            message = format('%s on raw.submissions runs in READ COMMITTED only (not %s)',
                             action, current_setting('transaction_isolation')),
            hint = 'Rows of raw.fund_amounts, raw.outcome_values and raw.submission_problems that other '
                   'transactions commit meanwhile must be seen: run it in its own READ COMMITTED transaction.';
    end if;
end
$fn$;

-- raw.submissions DELETE: the rows that referred to the deleted submissions go with them.
create or replace function raw.delete_rows_of_deleted_submissions()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if not exists (select from old_rows) then
        return null;
    end if;
    perform raw.require_read_committed('delete');
    delete from raw.fund_amounts where submission_id in (select submission_id from old_rows);
    delete from raw.outcome_values where submission_id in (select submission_id from old_rows);
    delete from raw.submission_problems where submission_id in (select submission_id from old_rows);
    return null;
end
$fn$;

-- raw.submissions UPDATE: no submission_id still referred to may go away.
create or replace function raw.refuse_orphaning_update()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
    orphaned text;
begin
    if not exists (select from old_rows) then
        return null;
    end if;
    perform raw.require_read_committed('update');
    select o.submission_id into orphaned
    from old_rows as o
    where not exists (select from raw.submissions as s where s.submission_id = o.submission_id)
        and (exists (select from raw.fund_amounts as c where c.submission_id = o.submission_id)
             or exists (select from raw.outcome_values as c where c.submission_id = o.submission_id)
             or exists (select from raw.submission_problems as c where c.submission_id = o.submission_id))
    limit 1;
    if orphaned is not null then
        raise exception using
            errcode = 'foreign_key_violation',
            message = format('update on table raw.submissions takes away submission %s, which rows of raw.fund_amounts, '
                             'raw.outcome_values or raw.submission_problems still refer to', orphaned),
            detail = format('Key (submission_id)=(%s) is still referenced.', orphaned),
            schema = 'raw',
            table = 'submissions',
            column = 'submission_id';
    end if;
    return null;
end
$fn$;

-- raw.submissions TRUNCATE: after the statement, the three are empty too (truncated with it).
create or replace function raw.refuse_truncating_submissions_alone()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
    child text;
begin
    perform raw.require_read_committed('truncate');
    if exists (select from raw.fund_amounts) then
        child := 'fund_amounts';
    elsif exists (select from raw.outcome_values) then
        child := 'outcome_values';
    elsif exists (select from raw.submission_problems) then
        child := 'submission_problems';
    end if;
    if child is not null then
        raise exception using
            errcode = 'foreign_key_violation',
            message = format('cannot truncate raw.submissions alone: raw.%s still has rows that refer to it', child),
            hint = 'Truncate raw.submission_problems, raw.outcome_values, raw.fund_amounts and raw.submissions '
                   'in one statement.',
            schema = 'raw',
            table = 'submissions';
    end if;
    return null;
end
$fn$;

revoke all on function raw.check_rows_have_their_submission() from public;
revoke all on function raw.require_read_committed(text) from public;
revoke all on function raw.delete_rows_of_deleted_submissions() from public;
revoke all on function raw.refuse_orphaning_update() from public;
revoke all on function raw.refuse_truncating_submissions_alone() from public;

-- A trigger with a transition table has one event: insert and update each have their own.
create trigger fund_amounts_have_their_submission_on_insert
    after insert on raw.fund_amounts referencing new table as new_rows
    for each statement execute function raw.check_rows_have_their_submission();
create trigger fund_amounts_have_their_submission_on_update
    after update on raw.fund_amounts referencing new table as new_rows
    for each statement execute function raw.check_rows_have_their_submission();
create trigger outcome_values_have_their_submission_on_insert
    after insert on raw.outcome_values referencing new table as new_rows
    for each statement execute function raw.check_rows_have_their_submission();
create trigger outcome_values_have_their_submission_on_update
    after update on raw.outcome_values referencing new table as new_rows
    for each statement execute function raw.check_rows_have_their_submission();
create trigger submission_problems_have_their_submission_on_insert
    after insert on raw.submission_problems referencing new table as new_rows
    for each statement execute function raw.check_rows_have_their_submission();
create trigger submission_problems_have_their_submission_on_update
    after update on raw.submission_problems referencing new table as new_rows
    for each statement execute function raw.check_rows_have_their_submission();

create trigger submissions_delete_their_rows
    after delete on raw.submissions referencing old table as old_rows
    for each statement execute function raw.delete_rows_of_deleted_submissions();
create trigger submissions_keep_referred_ids
    after update on raw.submissions referencing old table as old_rows
    for each statement execute function raw.refuse_orphaning_update();
create trigger submissions_truncated_with_their_rows
    after truncate on raw.submissions
    for each statement execute function raw.refuse_truncating_submissions_alone();
