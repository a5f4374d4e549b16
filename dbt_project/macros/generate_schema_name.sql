{#-
    Schemas are exactly the configured names (staging, intermediate, marts, reference), not
    dbt's default `<target schema>_<custom schema>`: BI tools and grants rely on them.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
