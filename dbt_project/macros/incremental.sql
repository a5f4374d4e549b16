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


{#- Whether `relation` has `column` (false at parse time). -#}
{% macro has_column(relation, column) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(column in (adapter.get_columns_in_relation(relation) | map(attribute='name') | list)) }}
{%- endmacro %}


{#-
    few_keys(source, keys): the rows of `source` (a CTE or relation), `keys` columns only, passed
    through arrays (array_agg, then unnest) — the same rows, but a set the planner takes for a
    few rows, as it does any unnested array it cannot see. Why: the keys an incremental run
    rescores come from CTEs without statistics (rows loaded after a timestamp read at run time),
    which the planner took for a third of the table and so read the whole table with a hash
    join or a merge join with a sort spilled to disk; joined from few_keys, it reads the rows of
    those keys through an index.
-#}
{% macro few_keys(source, keys) -%}
    (
        select
            {%- for key in keys %}
            unnested.{{ key }}{{ "," if not loop.last }}
            {%- endfor %}
        from (
            select
                {%- for key in keys %}
                array_agg({{ key }}) as {{ key }}_list{{ "," if not loop.last }}
                {%- endfor %}
            from {{ source }}
        ) as lists
        cross join lateral unnest(
            {%- for key in keys %}lists.{{ key }}_list{{ ", " if not loop.last }}{% endfor -%}
        ) as unnested ({{ keys | join(', ') }})
    )
{%- endmacro %}
