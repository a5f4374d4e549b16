"""The BI contract's tables (dbt_project/README.md): the marts BI reads, by name. More may come,
none may go; their columns and types are checked on a built warehouse in tests/test_dbt_build.py."""

from __future__ import annotations

CONTRACT_MARTS = frozenset(
    {
        "dim_admin_unit",
        "dim_component",
        "dim_component_lead_agency",
        "dim_funding_source",
        "dim_indicator",
        "dim_period",
        "fct_fund_disbursement",
        "fct_outcome",
        "fct_submission",
        "fct_poverty",
        "mart_reporting_compliance",
        "mart_province_consolidation",
        "fct_outlier_flag",
    }
)
