-- Disbursement in the month from the cumulative figures.
-- Rule: the form's cumulative ("Giải ngân lũy kế đến thời điểm báo cáo") runs from the start of
-- the reporting year, for every capital year (capital carried over from year Y is reported on
-- year Y+1's forms, cumulative since January of Y+1). So, for the same unit, component, funding
-- source and capital year:
--   disbursed_in_month = cumulative - cumulative of the latest earlier month of the same
--                        reporting year that reported a cumulative for that row;
--   the first report of a year (normally January) counts its whole cumulative;
--   a row with no cumulative (empty cell) has no increment (null, never 0).
-- A skipped month therefore folds into the next reported month; a negative increment is a
-- decrease, allowed only on rows marked as corrections (tested).

-- (The rule is the macro monthly_increments_ctes, shared with fct_fund_disbursement's
-- incremental runs.)

with

latest as (

    select * from {{ ref('int_fund_amounts_latest') }}

),

{{ monthly_increments_ctes('latest') }}

select * from increments
