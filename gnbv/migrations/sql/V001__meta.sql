-- V001: the `meta` schema holds the warehouse's own bookkeeping
-- (meta.schema_migrations is created by gnbv.migrate before any migration runs).
create schema if not exists meta;

comment on schema meta is
    'gnbv warehouse bookkeeping: applied migrations (schema_migrations) and other run metadata';

comment on table meta.schema_migrations is
    'One row per applied SQL migration (gnbv/migrations/sql/V<NNN>__<name>.sql); '
    'checksum = sha256 of the file with LF line endings.';
