-- Fund rows of accepted submissions with the component resolved by the unit's own numbering.
-- Intake resolves labels to QĐ 90 codes; a unit's local numbering (ref_component_aliases with a
-- unit_code, e.g. Bến Cầu 2023 calls livelihoods "Dự án 1" = DA2) wins when the row's label
-- starts with such an alias (longest alias first, and never followed by another digit: "Dự án 1"
-- does not match "Dự án 10"). Only leaf components can be the result.

-- Only rows of units with a local numbering are labelled and matched (the text work is per row):
-- every other row passes through with intake's code, so a filter on submission_id or
-- period_month reaches raw.fund_amounts and raw.submissions (the CTEs are not materialized).

with

fund_amounts as not materialized (

    select * from {{ ref('stg_raw__fund_amounts') }}

),

submissions as not materialized (

    select * from {{ ref('stg_raw__submissions') }}
    where gate_status = 'accepted'

),

components as (

    select * from {{ ref('stg_reference__components') }}

),

local_aliases as (

    select
        aliases.unit_code,
        aliases.component_code,
        aliases.alias_key,
        aliases.valid_from_year,
        aliases.valid_to_year
    from {{ ref('stg_reference__component_aliases') }} as aliases
    inner join components
        on aliases.component_code = components.component_code
    where
        aliases.unit_code is not null
        and components.is_leaf

),

labelled as (

    -- rows of units with a local numbering only
    select
        fund_amounts.submission_id,
        fund_amounts.capital_year,
        fund_amounts.component_code,
        fund_amounts.funding_source_code,
        submissions.unit_code,
        submissions.period_month,
        -- label without a leading STT ("1.1 ", "2. "), lower case, Unicode NFC
        regexp_replace(
            lower(normalize(trim(fund_amounts.label_as_written))),
            '^[0-9]+(\.[0-9]+)*\.?\s+',
            ''
        ) as label_key
    from submissions
    inner join fund_amounts
        on submissions.submission_id = fund_amounts.submission_id
    -- = any(array(...)): probes raw.fund_amounts' primary key, never a scan of every unit's rows
    where fund_amounts.submission_id = any(array(
            select with_aliases.submission_id
            from submissions as with_aliases
            where with_aliases.unit_code in (select local_aliases.unit_code from local_aliases)
        ))

),

local_matches as (

    select distinct on (
        labelled.submission_id,
        labelled.capital_year,
        labelled.component_code,
        labelled.funding_source_code
    )
        labelled.submission_id,
        labelled.capital_year,
        labelled.component_code,
        labelled.funding_source_code,
        local_aliases.component_code as local_component_code
    from labelled
    inner join local_aliases
        on
            labelled.unit_code = local_aliases.unit_code
            and extract(year from labelled.period_month)
            between coalesce(local_aliases.valid_from_year, 0) and coalesce(local_aliases.valid_to_year, 9999)
            and left(labelled.label_key, length(local_aliases.alias_key)) = local_aliases.alias_key
            and substr(labelled.label_key, length(local_aliases.alias_key) + 1, 1) !~ '[0-9]'
    order by
        labelled.submission_id,
        labelled.capital_year,
        labelled.component_code,
        labelled.funding_source_code,
        length(local_aliases.alias_key) desc

),

resolved as (

    select
        -- ids
        fund_amounts.submission_id,
        submissions.unit_code,
        submissions.period_month,
        fund_amounts.capital_year,
        coalesce(local_matches.local_component_code, fund_amounts.component_code) as component_code,
        fund_amounts.funding_source_code,

        -- amounts (whole VND)
        fund_amounts.plan_amount_vnd,
        fund_amounts.disbursed_cumulative_vnd,
        fund_amounts.is_correction,

        -- how the component was resolved
        fund_amounts.component_code as intake_component_code,
        case
            when local_matches.local_component_code is not null then 'unit_numbering'
            else 'intake'
        end as component_resolved_by,

        -- lineage
        fund_amounts.sheet_name,
        fund_amounts.source_row_number,
        fund_amounts.plan_cell,
        fund_amounts.disbursed_cell,
        fund_amounts.label_as_written,
        fund_amounts.note

    from fund_amounts
    inner join submissions
        on fund_amounts.submission_id = submissions.submission_id
    left join local_matches
        on
            fund_amounts.submission_id = local_matches.submission_id
            and fund_amounts.capital_year = local_matches.capital_year
            and fund_amounts.component_code = local_matches.component_code
            and fund_amounts.funding_source_code = local_matches.funding_source_code

)

select * from resolved
