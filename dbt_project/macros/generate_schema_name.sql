{#-
    Schemas are exactly the configured names (staging, intermediate, marts, reference), not
    dbt's default `<target schema>_<custom schema>`: BI tools and grants rely on them.

    The marts go to var `marts_schema` when it is set: `gnbv build` and the consolidation DAG
    build them into `marts_next` and publish them into `marts` in one transaction
    (gnbv/marts.py), so that readers never see a build half done. Without the var (a `dbt test`
    by hand) the marts are the published ones.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
