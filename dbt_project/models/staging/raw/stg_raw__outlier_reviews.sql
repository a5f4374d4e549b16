with

source as (

    select * from {{ source('raw', 'outlier_reviews') }}

),

renamed as (

    select
        -- ids
        review_id,
        flag_id,
        submission_id,

        -- the review
        comment as review_comment,
        reviewed_by,
        reviewed_at

    from source

)

select * from renamed
