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


{#-
    increments_to_rebuild_ctes(fact): the incremental run of a model holding the month's
    disbursement per unit-month (fct_fund_disbursement, int_outlier_points): the unit-months
    whose funds version changed (a new month, a late correction, a version gone from raw) and
    the later months of the same unit and year (their increments depend on it), with their
    increments computed from those versions and `fact`'s own earlier months of the year (macro
    monthly_increments_ctes). Expands to CTEs current_versions, loaded_versions, changed,
    first_changed, to_rebuild, latest, earlier, with_previous and increments.
-#}
{% macro increments_to_rebuild_ctes(fact) -%}
{{ version_in_force_ctes(fact, 'is_current_funds') }},

changed as (

    -- a new month, a new version of a month, or a version gone from raw
    select
        coalesce(current_versions.unit_code, loaded_versions.unit_code) as unit_code,
        coalesce(current_versions.period_month, loaded_versions.period_month) as period_month
    from current_versions
    full outer join loaded_versions
        on
            current_versions.unit_code = loaded_versions.unit_code
            and current_versions.period_month = loaded_versions.period_month
    where current_versions.submission_id is distinct from loaded_versions.submission_id

),

first_changed as (

    select
        unit_code,
        min(period_month) as period_month
    from changed
    group by unit_code, date_trunc('year', period_month)

),

to_rebuild as (

    -- the changed months and the later months of the same unit and year
    select
        current_versions.unit_code,
        current_versions.period_month,
        current_versions.submission_id
    from current_versions
    inner join first_changed
        on
            current_versions.unit_code = first_changed.unit_code
            and date_trunc('year', current_versions.period_month) = date_trunc('year', first_changed.period_month)
            and current_versions.period_month >= first_changed.period_month

),

latest as (

    select * from {{ ref('int_fund_amounts_latest') }}
    where submission_id = any(array(select to_rebuild.submission_id from to_rebuild))

),

earlier as (

    -- loaded rows of the same unit and year before its first rebuilt month: previous months
    select
        loaded.period_month,
        loaded.unit_code,
        loaded.component_code,
        loaded.funding_source_code,
        loaded.capital_year,
        loaded.disbursed_cumulative_vnd
    from {{ fact }} as loaded
    inner join first_changed
        on
            loaded.unit_code = first_changed.unit_code
            and loaded.period_month >= date_trunc('year', first_changed.period_month)
            and loaded.period_month < first_changed.period_month

),

{{ monthly_increments_ctes('latest', 'earlier') }}
{%- endmacro %}
