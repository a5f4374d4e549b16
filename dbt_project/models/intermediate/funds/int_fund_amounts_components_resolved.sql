-- Fund rows of accepted submissions with the component resolved by the unit's own numbering.
-- Intake resolves labels to QĐ 90 codes; a unit's local numbering (ref_component_aliases with a
-- unit_code, e.g. Bến Cầu 2023 calls livelihoods "Dự án 1" = DA2) wins when the row's label
-- starts with such an alias (longest alias first, and never followed by another digit: "Dự án 1"
-- does not match "Dự án 10"). Only leaf components can be the result.

with

fund_amounts as (

    select * from {{ ref('stg_raw__fund_amounts') }}

),

submissions as (

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

    select
        fund_amounts.*,
        submissions.unit_code,
        submissions.period_month,
        -- label without a leading STT ("1.1 ", "2. "), lower case, Unicode NFC
        regexp_replace(
            lower(normalize(trim(fund_amounts.label_as_written))),
            '^[0-9]+(\.[0-9]+)*\.?\s+',
            ''
        ) as label_key
    from fund_amounts
    inner join submissions
        on fund_amounts.submission_id = submissions.submission_id

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
        labelled.submission_id,
        labelled.unit_code,
        labelled.period_month,
        labelled.capital_year,
        coalesce(local_matches.local_component_code, labelled.component_code) as component_code,
        labelled.funding_source_code,

        -- amounts (whole VND)
        labelled.plan_amount_vnd,
        labelled.disbursed_cumulative_vnd,
        labelled.is_correction,

        -- how the component was resolved
        labelled.component_code as intake_component_code,
        case
            when local_matches.local_component_code is not null then 'unit_numbering'
            else 'intake'
        end as component_resolved_by,

        -- lineage
        labelled.sheet_name,
        labelled.source_row_number,
        labelled.plan_cell,
        labelled.disbursed_cell,
        labelled.label_as_written,
        labelled.note

    from labelled
    left join local_matches
        on
            labelled.submission_id = local_matches.submission_id
            and labelled.capital_year = local_matches.capital_year
            and labelled.component_code = local_matches.component_code
            and labelled.funding_source_code = local_matches.funding_source_code

)

select * from resolved
