-- Grain: one row. What the marts are as of, for BI tools and reports: the date compliance is
-- judged at (var as_of_date: the consolidation run's date, `gnbv build --as-of`, default the
-- run date in Vietnam), when the build that published them ran, and the submissions they hold.
-- Published with the other marts in one transaction (gnbv/marts.py), so it always describes
-- the tables beside it.

with

submissions as (

    select * from {{ ref('fct_submission') }}

),

final as (

    select
        {{ as_of_date() }} as as_of_date,
        cast('{{ run_started_at }}' as timestamptz) as built_at,
        cast(count(*) as integer) as submissions,
        max(received_at) as received_through
    from submissions

)

select * from final
