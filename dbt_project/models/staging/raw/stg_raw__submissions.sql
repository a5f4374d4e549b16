with

source as (

    select * from {{ source('raw', 'submissions') }}

),

renamed as (

    select
        -- ids
        submission_id,
        file_sha256,
        ingest_seq,

        -- what the file says it is
        unit_code,
        period_month,
        amount_unit,

        -- file
        file_name,
        file_format,
        file_size_bytes,
        reader_version,

        -- the gate's verdict and content
        status as gate_status,
        has_funds,
        has_outcomes,
        narrative,

        -- timestamps and audit
        received_at,
        ingested_at,
        ingested_by

    from source

)

select * from renamed
