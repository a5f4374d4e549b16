-- V004: the schemas a build of the marts goes through before it is published (gnbv/marts.py).
--
--   marts_next   dbt builds the marts here (dbt var marts_schema); readers never look here:
--                a build that fails or is killed leaves the marts as they were
--   marts_swap   empty outside the publishing transaction, which moves each built table into
--                marts and the one it replaces into marts_next (next build's starting point)
--
-- Owned by gnbv_transformer like the other dbt schemas; gnbv_bi gets nothing here.

create schema if not exists marts_next;
create schema if not exists marts_swap;
alter schema marts_next owner to gnbv_transformer;
alter schema marts_swap owner to gnbv_transformer;
revoke all on schema marts_next, marts_swap from public;

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
        where n.nspname in ('reference', 'staging', 'intermediate', 'marts', 'marts_next', 'marts_swap')
          and c.relkind in ('r', 'p', 'v', 'm', 'f')
          and c.relowner <> (select oid from pg_roles where rolname = 'gnbv_transformer')
    loop
        execute format('alter %s %s owner to gnbv_transformer', obj.kind, obj.relation);
        moved := moved + 1;
    end loop;
    return moved;
end
$fn$;
