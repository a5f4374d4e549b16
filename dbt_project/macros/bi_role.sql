{#-
    The read-only role of the BI tools: NOLOGIN (log-in users are granted it), allowed to read
    the marts and nothing else. Idempotent; safe when several databases of one cluster build at
    once (roles are cluster-wide, hence the duplicate_object guard).

    on-run-start: ensure_bi_role()       -- the role must exist before models apply `grants`
    on-run-end:   grant_bi_read_access() -- schema usage and default privileges (tables: `grants`)
-#}
{% macro ensure_bi_role(role=none) -%}
    {%- set role = role or var('bi_role') -%}
    do $gnbv$
    begin
        if not exists (select from pg_catalog.pg_roles where rolname = '{{ role }}') then
            create role {{ adapter.quote(role) }} nologin;
            -- only a role that may create roles may comment on one: do it when creating
            comment on role {{ adapter.quote(role) }} is
                'gnbv BI tools: read-only, SELECT on schema marts only (granted by dbt on-run-end)';
        end if;
    exception when duplicate_object or unique_violation then
        null;
    end
    $gnbv$;
{%- endmacro %}


{% macro grant_bi_read_access(role=none, schema='marts') -%}
    {#- Each mart table is granted by its model's `grants` config as it is built. A blanket
        "grant select on all tables" here would rewrite the ACL of every mart table while the
        parallel Airflow tasks rebuild and grant some of them ("tuple concurrently updated",
        seen in a real backfill), so only the schema and the default privileges are set here. -#}
    {%- set role = role or var('bi_role') -%}
    do $gnbv$
    begin
        -- parallel dbt runs end here at once: they take turns on the schema's own rows
        perform pg_advisory_xact_lock(hashtext('gnbv_grant_bi_read_access'));
        if exists (select from pg_catalog.pg_namespace where nspname = '{{ schema }}') then
            execute 'grant usage on schema {{ adapter.quote(schema) }} to {{ adapter.quote(role) }}';
            execute 'alter default privileges in schema {{ adapter.quote(schema) }} '
                || 'grant select on tables to {{ adapter.quote(role) }}';
        end if;
    end
    $gnbv$;
{%- endmacro %}
