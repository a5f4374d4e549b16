{#-
    The facts built from a version in force (fct_fund_disbursement: is_current_funds,
    fct_outcome: is_current_outcomes), incremental on (unit_code, period_month): how a run tells
    which unit-months changed, and how it drops those whose version is gone. One home, so the two
    facts cannot come to disagree on which version a unit-month holds. See README.md,
    "Incremental builds".

    version_in_force_ctes(fact, version_flag): CTEs `current_versions` (the version in force of
    each unit-month, from int_submissions_ranked) and `loaded_versions` (the version `fact`
    holds, by a loose index scan of its (unit_code, period_month) index: macro distinct_keys).
-#}
{% macro version_in_force_ctes(fact, version_flag) -%}
-- one row per unit-month: the version in force, and the version loaded
current_versions as (

    select
        unit_code,
        period_month,
        submission_id
    from {{ ref('int_submissions_ranked') }}
    where {{ version_flag }}

),

loaded_versions as (

    select * from {{ distinct_keys(fact, ['unit_code', 'period_month'], ['submission_id']) }} as loaded

)
{%- endmacro %}


{#-
    delete_unit_months_out_of_force(relation, version_flag): the post-hook that removes the
    unit-months of `relation` whose loaded version is no longer in force and that no version
    replaces (a submission gone from raw): the delete+insert of the rebuilt unit-months never
    reaches them. Called from the model's hook, "{{ delete_unit_months_out_of_force(this,
    '<flag>') }}", rendered when the hook runs; the model names the dependency with
    `-- depends_on: {{ ref('int_submissions_ranked') }}`.
-#}
{% macro delete_unit_months_out_of_force(relation, version_flag) -%}
    delete from {{ relation }} as loaded
    using {{ distinct_keys(relation, ['unit_code', 'period_month'], ['submission_id']) }} as months
    where
        loaded.unit_code = months.unit_code
        and loaded.period_month = months.period_month
        and not exists (
            select 1 from {{ ref('int_submissions_ranked') }} as versions
            where versions.submission_id = months.submission_id and versions.{{ version_flag }}
        )
{%- endmacro %}
