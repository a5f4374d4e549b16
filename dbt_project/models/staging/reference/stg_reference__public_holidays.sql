with

source as (

    select * from {{ ref('ref_public_holidays') }}

),

renamed as (

    select
        -- ids
        cast(holiday_date as date) as holiday_date,

        -- day_off: a weekday that is not worked; working_day: a Saturday worked for a swapped day off
        cast(kind as text) as kind,
        cast(name_vi as text) as name_vi,
        cast(name_en as text) as name_en,

        -- provenance: verified | law_fixed_date | unverified
        cast(status as text) as status,
        cast(source as text) as source

    from source

)

select * from renamed
