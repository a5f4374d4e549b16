"""Review and approval (issue 20), against a served portal on the test warehouse:
``POST /api/v1/approvals`` answers 200 / 401 / 403 / 409 / 422; an approval locks the figures it
approved for every way in (the API's upload answers 409 with ``approved_locked`` in its problems,
``gnbv ingest``'s intake records the file rejected for the same reason) until the agency
reopens with a reason; a file that repeats the approved figures and corrects another component
is taken; the province approves the whole month only after the agencies; every action audited;
dbt's approval state (int_approvals_latest) is intake's."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg

from tests.portal_support import PASSWORD, api_tokens, served_portal
from tests.workspace_support import HOUSING, NUTRITION, UnitFiles, build_with_month_due, workspace_file_fixtures

files, names = workspace_file_fixtures("appr", seed=21, module="approvals")
portal = served_portal()
tokens = api_tokens()


def upload(portal: str, token: str, path: Path, files: UnitFiles) -> httpx.Response:
    with path.open("rb") as f:
        return httpx.post(
            portal + "/api/v1/submissions",
            headers={"Authorization": f"Bearer {token}"},
            data={"period": f"{files.period:%Y-%m}"},
            files={"file": (path.name, f)},
            timeout=120,
        )


def approval(portal: str, token: str | None, files: UnitFiles, action: str, **extra: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"unit_code": files.unit_code, "period": f"{files.period:%Y-%m}", "action": action, **extra}
    return httpx.post(portal + "/api/v1/approvals", headers=headers, json=body, timeout=60)


def codes(response: httpx.Response) -> set[str]:
    return {p["code"] for p in response.json()["problems"]}


def test_nothing_to_approve_before_the_unit_sends(portal, tokens, files) -> None:
    answer = approval(portal, tokens["syt"], files, "approve")
    assert answer.status_code == 409
    assert "no accepted report" in answer.json()["detail"]["message_en"]


def test_a_lead_agency_approves_the_components_it_leads(portal, tokens, files) -> None:
    assert upload(portal, tokens["unit"], files.good, files).json()["verdict"] == "accepted"
    answer = approval(portal, tokens["syt"], files, "approve", comment="khớp kế hoạch")
    assert answer.status_code == 200
    assert answer.json()["components"] == [NUTRITION] and answer.json()["changed"] is True
    again = approval(portal, tokens["syt"], files, "approve")
    assert again.status_code == 200 and again.json()["changed"] is False  # approving twice records nothing


def test_who_may_not_approve(portal, tokens, files) -> None:
    assert approval(portal, None, files, "approve").status_code == 401
    assert approval(portal, "gnbv_not-a-token", files, "approve").status_code == 401
    assert approval(portal, tokens["unit"], files, "approve").status_code == 403
    other = approval(portal, tokens["syt"], files, "approve", components=[HOUSING])
    assert other.status_code == 403 and HOUSING in other.json()["detail"]["message_en"]
    assert approval(portal, tokens["syt"], files, "approve-all").status_code == 422
    assert approval(portal, tokens["syt"], files, "reopen").status_code == 422  # a reopening needs a reason


def test_an_upload_changing_approved_figures_is_refused_by_the_api_and_by_intake(
    portal, tokens, files, database_url
) -> None:
    from gnbv import db
    from ingest.intake import ingest_file

    answer = upload(portal, tokens["unit"], files.nutrition_changed, files)
    assert answer.status_code == 409
    assert answer.json()["verdict"] == "rejected" and codes(answer) == {"approved_locked"}
    [locked] = answer.json()["problems"]
    assert NUTRITION in locked["message_vi"] and "appr-syt" in locked["message_en"]
    # the CLI's and the DAG's intake (the same function) refuses the same way
    with db.connect() as conn:
        result = ingest_file(conn, files.both_changed, expected_period=files.period)
    assert result.status == "rejected" and [p.code for p in result.problems if p.severity == "error"] == [
        "approved_locked"
    ]


def test_a_dry_run_tells_the_sender_the_figures_are_locked_as_intake_would(portal, tokens, files) -> None:
    """``gnbv validate`` must not promise "accepted" to a file intake would refuse."""
    from gnbv import db
    from ingest.intake import validate_paths

    with db.connect() as conn:
        (sub,), _run = validate_paths([files.nutrition_changed], conn=conn, expected_period=files.period)
    assert [p.code for p in sub.errors] == ["approved_locked"]
    (unchanged,), _run = validate_paths([files.nutrition_changed], expected_period=files.period)
    assert not unchanged.errors  # offline, nothing is known of approvals: the dry run cannot say


def test_a_file_changing_only_components_not_approved_is_taken(portal, tokens, files) -> None:
    answer = upload(portal, tokens["unit"], files.housing_changed, files)
    assert answer.status_code == 200 and answer.json()["verdict"] == "accepted"


def test_the_province_approves_the_month_only_after_every_agency(portal, tokens, files) -> None:
    answer = approval(portal, tokens["province"], files, "approve")
    assert answer.status_code == 409 and HOUSING in answer.json()["detail"]["message_en"]


def test_reopened_figures_can_be_sent_again(portal, tokens, files, database_url) -> None:
    answer = approval(portal, tokens["syt"], files, "reopen", comment="đơn vị xin sửa số dinh dưỡng")
    assert answer.status_code == 200 and answer.json()["components"] == [NUTRITION]
    sent = upload(portal, tokens["unit"], files.both_changed, files)
    assert sent.status_code == 200 and sent.json()["verdict"] == "accepted"


def test_every_action_is_audited_and_kept(database_url, files) -> None:
    with psycopg.connect(database_url) as conn:
        audited = conn.execute(
            "select account_name, outcome, detail->>'comment' from portal.audit_log"
            " where action = 'approval' and unit_code = %s order by audit_id",
            (files.unit_code,),
        ).fetchall()
        kept = conn.execute(
            "select action, component_code, acted_by, comment from raw.approvals where unit_code = %s"
            " order by approval_id",
            (files.unit_code,),
        ).fetchall()
    outcomes = [o for _, o, _ in audited]
    assert outcomes[:2] == ["refused_approve", "approve"] and "approve_unchanged" in outcomes
    assert ("appr-syt", "reopen", "đơn vị xin sửa số dinh dưỡng") in audited
    assert kept == [
        ("approve", NUTRITION, "appr-syt", "khớp kế hoạch"),
        ("reopen", NUTRITION, "appr-syt", "đơn vị xin sửa số dinh dưỡng"),
    ]


def test_the_warehouse_reads_the_approvals_with_intakes_rule(database_url, files) -> None:
    from ingest.approval_lock import LATEST_APPROVALS

    build_with_month_due(files.period)
    with psycopg.connect(database_url) as conn:
        dbt_state = conn.execute(
            "select unit_code, period_month, approval_level, component_code, latest_action"
            " from intermediate.int_approvals_latest order by 1, 2, 3, 4"
        ).fetchall()
        intake_state = conn.execute(
            "with wanted as (select distinct unit_code, period_month from raw.approvals)"
            f" select unit_code, period_month, level, component_code, action from ({LATEST_APPROVALS}) as l"
            " order by 1, 2, 3, 4"
        ).fetchall()
    assert dbt_state == intake_state and dbt_state
    with psycopg.connect(database_url) as conn:
        [(status, approved, reported)] = conn.execute(
            "select approval_status, approved_components, reported_components from marts.mart_unit_approval"
            " where unit_code = %s and period_month = %s",
            (files.unit_code, files.period),
        ).fetchall()
    assert (status, approved) == ("not_approved", 0) and reported > 1  # approved, then reopened


def test_bottom_up_the_province_approves_after_every_agency_and_reopens_first(portal, tokens, files) -> None:
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect

    agencies = {}
    with owner_connect() as conn:
        for code in ("SLDTBXH", "SNNPTNT", "STTTT"):
            accounts.add(conn, f"appr-{code.lower()}", "agency", PASSWORD, agency=code, province="04")
            agencies[code] = accounts.new_token(conn, f"appr-{code.lower()}")
    for token in (tokens["syt"], tokens["sxd"], *agencies.values()):
        answer = approval(portal, token, files, "approve")
        # an agency none of whose components the commune reported has nothing to approve
        assert answer.status_code == 200 or "no figures of your components" in answer.json()["detail"]["message_en"]
    month = approval(portal, tokens["province"], files, "approve", comment="đủ số liệu")
    assert month.status_code == 200 and month.json()["level"] == "province"
    # the higher level reopens first
    assert approval(portal, tokens["syt"], files, "reopen", comment="sửa").status_code == 409
    assert upload(portal, tokens["unit"], files.housing_changed, files).status_code == 409
    assert approval(portal, tokens["province"], files, "reopen", comment="Sở Xây dựng xin sửa").status_code == 200
    assert approval(portal, tokens["sxd"], files, "reopen", comment="đơn vị sửa số nhà ở").status_code == 200
