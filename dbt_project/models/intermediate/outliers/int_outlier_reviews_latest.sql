-- A flag's review in force: the latest review (gnbv outliers review) of the flag for the version
-- of the figures it looked at. The mart joins it on flag_id AND submission_id, so a new version
-- of the unit's figures opens the flag again; `gnbv outliers list` reads it the same way.

with

reviews as (

    select * from {{ ref('stg_raw__outlier_reviews') }}

),

latest as (

    select distinct on (flag_id, submission_id)
        flag_id,
        submission_id,
        review_comment,
        reviewed_by,
        reviewed_at
    from reviews
    order by flag_id asc, submission_id asc, reviewed_at desc, review_id desc

)

select * from latest
