{#-
    Data tests on the big models are scoped to the reporting months this build touches
    (get_where_subquery below; singular tests call test_scope_filter). Touched = months with a
    unit-month whose version in force is not the one loaded in the facts yet (tests running
    before the facts are built), plus the months of the fact rows this dbt run wrote (tests
    running after). Everything is tested when that is empty (a build with no change), on
    --full-refresh, and with var test_scope = 'all'; var test_scope = 'last_load' takes the
    months of the facts' latest load instead of this run's (a separate `dbt test` call).
    Returns a list of 'YYYY-MM-DD' strings, or none for "everything".
-#}
{% macro test_scope_periods() -%}
    {%- set mode = var('test_scope', 'changes') -%}
    {%- if not execute or flags.FULL_REFRESH or mode == 'all' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set submissions = graph.sources['source.gnbv.raw.submissions'].relation_name -%}
    {%- set pairs = [] -%}
    {%- for fact, flag in [('fct_fund_disbursement', 'has_funds'), ('fct_outcome', 'has_outcomes')] -%}
        {%- set node = graph.nodes.get('model.gnbv.' ~ fact) -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) if node else none -%}
        {%- if relation is none -%}
            {{ return(none) }}  {#- no facts yet: a first build tests everything #}
        {%- endif -%}
        {%- do pairs.append((relation, flag)) -%}
    {%- endfor -%}
    {%- set query -%}
        {%- for relation, flag in pairs %}
        {{ "union" if not loop.first }}
        select coalesce(current_versions.period_month, loaded.period_month) as period_month
        from (
            -- int_submissions_ranked's rule, on raw: that view may be being replaced right now
            select distinct on (unit_code, period_month) unit_code, period_month, submission_id
            from {{ submissions }}
            where status = 'accepted' and {{ flag }}
            order by unit_code, period_month, received_at desc, ingest_seq desc
        ) as current_versions
        full join {{ distinct_keys(relation, ['unit_code', 'period_month'], ['submission_id']) }} as loaded
            on current_versions.unit_code = loaded.unit_code and current_versions.period_month = loaded.period_month
        where current_versions.submission_id is distinct from loaded.submission_id
        union
        select period_month from {{ relation }}
        where dbt_loaded_at = {% if mode == 'last_load' -%}
            (select max(dbt_loaded_at) from {{ relation }})
        {%- else -%}
            cast('{{ run_started_at }}' as timestamptz)
        {%- endif %}
        {%- endfor %}
        order by 1
    {%- endset -%}
    {%- set periods = run_query(query).columns[0].values() | map('string') | list -%}
    {{ return(periods if periods else none) }}
{%- endmacro %}


{#- A SQL condition keeping the rows of the touched months (`true` when everything is tested).
    by = 'period_month': the model's own column; by = 'submission_id': through raw.submissions. -#}
{% macro test_scope_filter(column='period_month', by='period_month') -%}
    {%- set periods = test_scope_periods() -%}
    {%- if periods is none -%}
        true
    {%- else -%}
        {%- set months -%}
            {%- for p in periods %}cast('{{ p[:10] }}' as date){{ ", " if not loop.last }}{% endfor -%}
        {%- endset -%}
        {%- if by == 'submission_id' -%}
            {#- = any(array(...)): an index condition on raw's primary keys, not a join -#}
            {{ column }} = any(array(
                select submission_id from {{ graph.sources['source.gnbv.raw.submissions'].relation_name }}
                where period_month in ({{ months }})
            ))
        {%- else -%}
            {{ column }} in ({{ months }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    OVERRIDES dbt's own `get_where_subquery`, for every generic test of the project and of its
    packages: a macro of the root project with the name of one of dbt's global macros replaces
    it everywhere. dbt calls it to read a test's model through the test's `where` config; this one
    does exactly what dbt's default does (the model, or `(select * from model where <where>)
    dbt_subquery`) and adds one thing: when the test's model has `meta: {test_scope: period_month
    | submission_id}`, the touched months' condition (test_scope_filter) is ANDed to the `where`,
    so the generic tests of the big models read only what this build changed. A model without that
    meta is tested as dbt would. Remove this macro and every test reads everything again.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set attached = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set scope = attached.config.meta.get('test_scope') if attached else none -%}
    {%- if scope and attached.alias == relation.identifier -%}
        {%- set scoped = test_scope_filter(scope, scope) -%}
        {%- if scoped != 'true' -%}
            {%- set where = '(' ~ where ~ ') and ' ~ scoped if where else scoped -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
