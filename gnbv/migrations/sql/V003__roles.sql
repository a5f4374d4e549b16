-- V003: the warehouse's three group roles, each with the least it needs.
--
--   gnbv_loader       intake (ingest/, the intake DAG): reads and appends to raw.*, reads the
--                     migration log; nothing else (raw is append-only: no update, delete, truncate).
--   gnbv_transformer  dbt (gnbv build, the consolidation DAG): reads raw.* and the migration log,
--                     owns the schemas reference, staging, intermediate and marts and everything
--                     dbt builds in them; writes nothing in raw.
--   gnbv_bi           BI tools (Metabase, Superset, Power BI): SELECT on marts.* and nothing else.
--                     dbt's on-run-start hook creates it too (dbt_project/macros/bi_role.sql);
--                     both are idempotent.
--
-- They are group roles (NOLOGIN). Log-in users are made members of them (GRANT gnbv_bi TO
-- metabase_reader, ...): see docs/deployment.md and deploy/scripts/init_warehouse.py. A session
-- that runs dbt should act as gnbv_transformer (dbt profile `role: gnbv_transformer`, or
-- ALTER ROLE <login> SET role = 'gnbv_transformer') so that what dbt creates is owned by the
-- group role: the default privileges below are declared FOR ROLE gnbv_transformer.
--
-- Roles are cluster-wide: several databases of one cluster (test databases, provinces) may run
-- this migration at the same moment, hence "create if missing" with duplicate_object caught.
-- Run migrations as a superuser, or as the database owner holding CREATEROLE (managed
-- PostgreSQL); such a non-superuser is made a member of gnbv_transformer (needed to hand the
-- dbt schemas to it and to declare its default privileges).

do $gnbv$
declare
    r record;
begin
    for r in
        select * from (values
            ('gnbv_loader', 'gnbv intake: SELECT, INSERT on raw.* (append-only), SELECT on meta.schema_migrations'),
            ('gnbv_transformer', 'gnbv dbt: reads raw.*, owns schemas reference, staging, intermediate, marts'),
            ('gnbv_bi', 'gnbv BI tools: read-only, SELECT on schema marts only')
        ) as v (role_name, note)
    loop
        if not exists (select from pg_catalog.pg_roles where rolname = r.role_name) then
            begin
                execute format('create role %I nologin', r.role_name);
                execute format('comment on role %I is %L', r.role_name, r.note);
            exception when duplicate_object or unique_violation then
                null;  -- created meanwhile by another database's migration or dbt run
            end;
        end if;
    end loop;
    if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user)
        and not pg_catalog.pg_has_role(current_user, 'gnbv_transformer', 'MEMBER') then
        execute format('grant gnbv_transformer to %I', current_user);
    end if;
end
$gnbv$;

-- The database: only the three groups (and the owner) may connect; nobody else creates schemas
-- or temporary tables in it. dbt (incremental models, unit tests) needs temporary tables.
do $gnbv$
begin
    execute format('revoke connect, create, temporary on database %I from public', current_database());
    execute format('grant connect on database %I to gnbv_loader, gnbv_transformer, gnbv_bi', current_database());
    execute format('grant temporary on database %I to gnbv_transformer', current_database());
end
$gnbv$;

-- public: no one creates objects there (the default before PostgreSQL 15).
revoke create on schema public from public;

-- meta: the migration log is readable by the two writing roles (gnbv.db checks it at connect).
grant usage on schema meta to gnbv_loader, gnbv_transformer;
grant select on meta.schema_migrations to gnbv_loader, gnbv_transformer;

-- raw: the loader appends, the transformer reads; raw tables added by later migrations (created
-- by the role running migrations) get the same grants.
revoke all on all tables in schema raw from public;
grant usage on schema raw to gnbv_loader, gnbv_transformer;
grant select, insert on all tables in schema raw to gnbv_loader;
grant select on all tables in schema raw to gnbv_transformer;
alter default privileges in schema raw grant select, insert on tables to gnbv_loader;
alter default privileges in schema raw grant select on tables to gnbv_transformer;

-- The schemas dbt builds: created here and owned by gnbv_transformer (dbt finds them and
-- creates nothing at database level). Tables and views already built in them (a warehouse built
-- before this migration, or by a superuser) are handed to gnbv_transformer as well.
create schema if not exists reference;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
alter schema reference owner to gnbv_transformer;
alter schema staging owner to gnbv_transformer;
alter schema intermediate owner to gnbv_transformer;
alter schema marts owner to gnbv_transformer;

create or replace function meta.hand_dbt_objects_to_transformer()
returns integer
language plpgsql
set search_path = pg_catalog
as $fn$
declare
    obj record;
    moved integer := 0;
begin
    for obj in
        select c.oid::regclass as relation,
               case c.relkind
                   when 'v' then 'view'
                   when 'm' then 'materialized view'
                   when 'f' then 'foreign table'
                   else 'table'
               end as kind
        from pg_class as c
        inner join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('reference', 'staging', 'intermediate', 'marts')
          and c.relkind in ('r', 'p', 'v', 'm', 'f')
          and c.relowner <> (select oid from pg_roles where rolname = 'gnbv_transformer')
    loop
        execute format('alter %s %s owner to gnbv_transformer', obj.kind, obj.relation);
        moved := moved + 1;
    end loop;
    return moved;
end
$fn$;

comment on function meta.hand_dbt_objects_to_transformer() is
    'Make gnbv_transformer the owner of every table and view in reference, staging, intermediate '
    'and marts (e.g. after dbt was run by a superuser); returns how many changed owner. '
    'Run it as a superuser or the database owner.';

revoke all on function meta.hand_dbt_objects_to_transformer() from public;

select meta.hand_dbt_objects_to_transformer();

-- BI: usage on marts and SELECT on every table there, now and for every table gnbv_transformer
-- creates later (dbt also grants it per model and in its on-run-end hook).
grant usage on schema marts to gnbv_bi;
grant select on all tables in schema marts to gnbv_bi;
alter default privileges for role gnbv_transformer in schema marts grant select on tables to gnbv_bi;
