{#-
    Seed loading, as dbt's default__load_csv_rows does it (one INSERT with bound values per
    batch of rows), with the VALUES list written by string operations instead of a Jinja loop
    per cell: the administrative-unit seeds have tens of thousands of rows, and the per-cell
    template loop, not PostgreSQL, was what made `dbt seed` slow.
-#}
{% macro postgres__load_csv_rows(model, agate_table) %}

    {%- set batch_size = get_batch_size() -%}
    {%- set cols_sql = get_seed_column_quoted_csv(model, agate_table.column_names) -%}
    {%- set placeholders = [get_binding_char()] * (agate_table.column_names | length) -%}
    {%- set row_sql = '(' ~ placeholders | join(', ') ~ ')' -%}
    {%- set statements = [] -%}

    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set bindings = [] -%}
        {%- for row in chunk -%}
            {%- do bindings.extend(row) -%}
        {%- endfor -%}
        {%- set values_sql = ([row_sql] * (chunk | length)) | join(',\n') -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' (' ~ cols_sql ~ ') values\n' ~ values_sql -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}

    {{ return(statements[0]) }}

{% endmacro %}
