{#-
    Incremental builds in proportion to what changed (see README.md, "Incremental builds").

    distinct_keys(relation, keys, columns): the distinct values of the two leading `keys` of a
    btree index of `relation`, with `columns` taken from one row of each (columns that are
    constant within a key, e.g. the submission of a unit-month). A "loose index scan": one
    index probe per distinct key (~10^4 unit-months) instead of reading every row (~10^6).
-#}
{% macro distinct_keys(relation, keys, columns=[]) -%}
    {%- set selected = (keys + columns) | join(', ') -%}
    {%- set order = keys | join(', ') -%}
    (
        with recursive walk as (
            (
                select {{ selected }}
                from {{ relation }}
                order by {{ order }}
                limit 1
            )
            union all
            select next_key.*
            from walk
            cross join lateral (
                select {% for c in keys + columns %}later.{{ c }}{{ ", " if not loop.last }}{% endfor %}
                from {{ relation }} as later
                where
                    ({% for k in keys %}later.{{ k }}{{ ", " if not loop.last }}{% endfor %})
                    > ({% for k in keys %}walk.{{ k }}{{ ", " if not loop.last }}{% endfor %})
                order by {% for k in keys %}later.{{ k }}{{ ", " if not loop.last }}{% endfor %}
                limit 1
            ) as next_key
        )

        select * from walk
    )
{%- endmacro %}


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


{#- dbt's hook for a test's `where` config, extended: the generic tests of a model whose
    meta has `test_scope` (period_month | submission_id) only read the touched months. -#}
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


{#-
    The rule of disbursement in the month (int_fund_amounts_monthly_increments), shared with the
    incremental fact: for the same unit, component, funding source and capital year, cumulative
    minus the cumulative of the latest earlier month of the same reporting year that reported
    one; the year's first report counts its whole cumulative; no cumulative, no increment.
    `latest`: the rows to compute (columns of int_fund_amounts_latest); `earlier`: optional
    relation of already computed rows (period_month, unit_code, component_code,
    funding_source_code, capital_year, disbursed_cumulative_vnd) that only serve as previous
    months. Expands to CTEs `with_previous` and `increments`.
-#}
{% macro monthly_increments_ctes(latest, earlier=none) -%}
with_previous as (

    select
        unit_code,
        period_month,
        capital_year,
        component_code,
        funding_source_code,
        lag(period_month) over reporting_year as previous_period_month,
        lag(disbursed_cumulative_vnd) over reporting_year as previous_cumulative_vnd
    from (
        select
            unit_code,
            period_month,
            capital_year,
            component_code,
            funding_source_code,
            disbursed_cumulative_vnd
        from {{ latest }}
        where disbursed_cumulative_vnd is not null
        {%- if earlier %}

        union all

        select
            unit_code,
            period_month,
            capital_year,
            component_code,
            funding_source_code,
            disbursed_cumulative_vnd
        from {{ earlier }}
        where disbursed_cumulative_vnd is not null
        {%- endif %}
    ) as reported
    window reporting_year as (
        partition by
            unit_code,
            component_code,
            funding_source_code,
            capital_year,
            extract(year from period_month)
        order by period_month
    )

),

increments as (

    select
        -- ids
        latest.submission_id,
        latest.unit_code,
        latest.province_code,
        latest.period_month,
        latest.capital_year,
        latest.component_code,
        latest.funding_source_code,

        -- amounts (whole VND)
        latest.plan_amount_vnd,
        latest.disbursed_cumulative_vnd,
        latest.is_correction,
        with_previous.previous_period_month,
        with_previous.previous_cumulative_vnd,
        cast(
            latest.disbursed_cumulative_vnd - coalesce(with_previous.previous_cumulative_vnd, 0)
            as numeric(20, 0)
        ) as disbursed_in_month_vnd,

        -- version and lineage
        latest.received_at,
        latest.component_resolved_by,
        latest.label_as_written,
        latest.note
    from {{ latest }} as latest
    left join with_previous
        on
            latest.unit_code = with_previous.unit_code
            and latest.period_month = with_previous.period_month
            and latest.capital_year = with_previous.capital_year
            and latest.component_code = with_previous.component_code
            and latest.funding_source_code = with_previous.funding_source_code

)
{%- endmacro %}


{#- Whether `relation` has `column` (false at parse time). -#}
{% macro has_column(relation, column) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(column in (adapter.get_columns_in_relation(relation) | map(attribute='name') | list)) }}
{%- endmacro %}
