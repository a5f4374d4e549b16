-- Grain: one row per flagged figure: measure × month × unit × component × funding source ×
-- capital year whose |score| is above its threshold (int_outlier_increment_scores,
-- int_outlier_rate_scores; the method in macros/outliers.sql). A flag is a figure to look at,
-- never a rejection: nothing else reads it to drop or change a figure.
-- flag_id: a short, stable hash of the flag's key (what `gnbv outliers review` names); its review
-- (int_outlier_reviews_latest) counts for the version of the figures it looked at, so the mart
-- shows reviews as of its build, and a new version of the figures opens the flag again.
-- A table rebuilt whole each run, cheaply: the scoring models are incremental tables indexed on
-- is_flagged, so it reads only the flagged rows (a small share), and its review, unit name and
-- lead agency are those in force at the build, as after a full refresh.

with

scores as (

    select * from {{ ref('int_outlier_increment_scores') }}
    where is_flagged

    union all

    select * from {{ ref('int_outlier_rate_scores') }}
    where is_flagged

),

units as (

    select * from {{ ref('dim_admin_unit') }}

),

lead_agencies as (

    select * from {{ ref('dim_component_lead_agency') }}

),

reviews as (

    select * from {{ ref('int_outlier_reviews_latest') }}

),

flags as (

    select
        left(
            md5(
                concat_ws(
                    '|',
                    scores.measure,
                    scores.unit_code,
                    to_char(scores.period_month, 'YYYY-MM'),
                    scores.component_code,
                    scores.funding_source_code,
                    scores.capital_year
                )
            ),
            12
        ) as flag_id,
        scores.*
    from scores

),

final as (

    select
        -- ids
        flags.flag_id,
        flags.period_month,
        flags.province_code,
        flags.unit_code,
        flags.admin_unit_key,
        units.unit_name,
        flags.component_code,
        flags.funding_source_code,
        cast(flags.capital_year as integer) as capital_year,
        lead_agencies.lead_agency_code,

        -- what was flagged and how
        flags.measure,
        flags.value,
        flags.score,
        flags.method,
        flags.threshold,
        flags.compared_with,
        cast(flags.reference_points as integer) as reference_points,
        flags.reference_median,
        flags.median_absolute_deviation,
        flags.reference_min,
        flags.reference_max,

        -- the figures of the row (whole VND)
        flags.plan_amount_vnd,
        flags.disbursed_cumulative_vnd,
        flags.disbursed_in_month_vnd,

        -- review
        reviews.reviewed_at is not null as is_reviewed,
        reviews.reviewed_at,
        reviews.reviewed_by,
        reviews.review_comment,

        -- lineage
        flags.submission_id,
        cast('{{ run_started_at }}' as timestamptz) as dbt_loaded_at

    from flags
    left join units
        on flags.admin_unit_key = units.admin_unit_key
    left join lead_agencies
        on
            flags.province_code = lead_agencies.province_code
            and flags.component_code = lead_agencies.component_code
            and {{ valid_on('lead_agencies', 'flags.period_month') }}
    left join reviews
        on
            flags.flag_id = reviews.flag_id
            and flags.submission_id = reviews.submission_id

)

select * from final
