-- The outcome values that count: those of each unit's current outcomes version per period
-- (the latest accepted submission with outcomes).

with

outcome_values as (

    select * from {{ ref('stg_raw__outcome_values') }}

),

versions as (

    select * from {{ ref('int_submissions_ranked') }}
    where is_current_outcomes

),

latest as (

    select
        -- ids
        outcome_values.submission_id,
        versions.unit_code,
        versions.province_code,
        versions.period_month,
        outcome_values.indicator_code,

        -- values
        outcome_values.target_value,
        outcome_values.actual_in_month,
        outcome_values.actual_cumulative,

        -- version and lineage
        versions.received_at,
        outcome_values.label_as_written,
        outcome_values.note

    from outcome_values
    inner join versions
        on outcome_values.submission_id = versions.submission_id

)

select * from latest
