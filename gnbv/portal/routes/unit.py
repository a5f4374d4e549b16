"""A unit's page (calendar, submissions, template), sending a report, and its verdict."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from psycopg import sql

from gnbv.portal import access, audit, uploads
from gnbv.portal.accounts import Account
from gnbv.portal.security import Conn, Forbidden, SignedIn, UnitOfficer, check_csrf, client_of

router = APIRouter()


def parse_period(text: str | None) -> dt.date | None:
    from gnbv.orchestration.calendar import PeriodError
    from gnbv.orchestration.calendar import parse_period as parse

    if not text:
        return None
    try:
        return parse(text)
    except PeriodError:
        raise HTTPException(status_code=422, detail="period must be YYYY-MM") from None


async def read_limited(request: Request, file: UploadFile) -> bytes:
    """The upload's bytes, or 413 when over the portal's limit (read at most one byte past it)."""
    limit: int = request.app.state.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(status_code=413, detail=f"the file is over the size limit of {limit // (1024 * 1024)} MB")
    return content


async def judge_upload(
    request: Request, conn: psycopg.Connection[Any], account: Account, file: UploadFile, period: str
) -> uploads.UploadVerdict:
    """The verdict on an upload of the form or the API: its month, its bytes within the size limit
    (413 audited as too large), then intake in a worker thread (the event loop stays free)."""
    from starlette.concurrency import run_in_threadpool

    expected = parse_period(period)
    try:
        content = await read_limited(request, file)
    except HTTPException:
        audit.record(
            conn, "upload", "too_large", account=account, unit_code=account.unit_code, client=client_of(request)
        )
        raise
    return await run_in_threadpool(
        uploads.take_upload,
        conn,
        account,
        file.filename or "bao-cao.xlsx",
        content,
        expected_period=expected,
        client=client_of(request),
        docs=request.app.state.docs,
    )


def unit_name(unit_code: str) -> str:
    from gnbv.reference import load_reference

    versions = load_reference().unit_versions(unit_code)
    return max(versions, key=lambda u: u.valid_from).unit_name if versions else unit_code


def _unit_page(request: Request, conn: psycopg.Connection[Any], account: Account, unit_code: str) -> Response:
    from gnbv.portal.app import render
    from gnbv.portal.calendar_view import periods_of
    from gnbv.reference import load_reference

    if not access.can_see_unit(account, unit_code):
        raise Forbidden("Không được xem đơn vị này. / This account may not see this unit.")
    ref = load_reference()
    versions = ref.unit_versions(unit_code)
    if not versions:
        raise HTTPException(status_code=404)
    latest = max(versions, key=lambda u: u.valid_from)
    province = ref.province_of(unit_code, latest.valid_from)
    periods = periods_of(province)
    return render(
        request,
        "unit.html",
        {
            "unit_code": unit_code,
            "unit_name": latest.unit_name,
            "periods": periods,
            "uploads": uploads.list_for_unit(conn, unit_code),
            "other_channels": uploads.other_channels(conn, unit_code),
            "can_send": access.can_send_for(account, unit_code),
        },
    )


@router.get("/unit")
def my_unit(
    request: Request,
    account: UnitOfficer,
    conn: Conn,
) -> Response:
    assert account.unit_code
    return _unit_page(request, conn, account, account.unit_code)


@router.get("/units/{unit_code}")
def unit_page(
    request: Request,
    unit_code: str,
    account: SignedIn,
    conn: Conn,
) -> Response:
    return _unit_page(request, conn, account, unit_code)


@router.post("/upload", dependencies=[Depends(check_csrf)])
async def upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    account: UnitOfficer,
    conn: Conn,
    period: Annotated[str, Form()] = "",
) -> Response:
    verdict = await judge_upload(request, conn, account, file, period)
    return RedirectResponse(f"/uploads/{verdict.upload_id}", status_code=303)


@router.get("/uploads/{upload_id}")
def upload_page(
    request: Request,
    upload_id: int,
    account: SignedIn,
    conn: Conn,
) -> Response:
    from gnbv.orchestration import verdicts
    from gnbv.portal.app import render
    from gnbv.portal.changes import compare
    from gnbv.reference import load_reference

    record = uploads.load_upload(conn, upload_id)
    if record is None:
        raise HTTPException(status_code=404)
    if not access.can_see_unit(account, record["unit_code"]):
        raise HTTPException(status_code=404)  # not telling which numbers exist
    totals, changes = [], None
    if record["verdict"] == "accepted" and record["submission_id"] and record["period"]:
        ref = load_reference()
        totals = list(verdicts.budget_totals(conn, record["submission_id"], ref))
        changes = compare(conn, record["submission_id"], record["unit_code"], record["period"])
    from gnbv.report.data import BUDGET_LEVEL_NAMES

    return render(
        request,
        "verdict.html",
        {
            "u": record,
            "problems": record["summary"].get("problems", []),
            "claimed_unit": record["summary"].get("claimed_unit"),
            "totals": totals,
            "changes": changes,
            "level_names": BUDGET_LEVEL_NAMES,
            "unit_name": unit_name(record["unit_code"]),
        },
    )


@router.get("/template/{period}")
def template(
    request: Request,
    period: str,
    account: UnitOfficer,
    conn: Conn,
) -> Response:
    """The pre-filled Biểu 05 of the account's unit for ``period`` (``gnbv template``)."""
    import tempfile
    from pathlib import Path

    from ingest.template import template_file_name, write_template

    month = parse_period(period)
    assert month is not None and account.unit_code
    with tempfile.TemporaryDirectory(prefix="gnbv-portal-template-") as folder:
        try:
            path = write_template(
                account.unit_code, month, Path(folder), accepted_plan=lambda unit, p: _accepted_plan(conn, unit, p)
            )
        except ValueError:
            raise HTTPException(status_code=404) from None
        content = path.read_bytes()
    audit.record(
        conn,
        "download",
        "template",
        account=account,
        unit_code=account.unit_code,
        period=month,
        client=client_of(request),
    )
    name = template_file_name(account.unit_code, month)
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _accepted_plan(conn: psycopg.Connection[Any], unit_code: str, period: dt.date) -> list[Any]:
    """The plan of the unit's latest accepted report of the year up to ``period``, read from raw
    (the portal reads no marts): intake's version in force of each month."""
    from decimal import Decimal

    from gnbv.reference import PlanFigure
    from ingest.load import VERSION_IN_FORCE

    rows = conn.execute(
        sql.SQL(
            "with wanted as (select %(unit)s::text as unit_code, m::date as period_month"
            " from generate_series(%(start)s::date, %(period)s::date, interval '1 month') as m),"
            " in_force as ({in_force})"
            " select f.capital_year, f.component_code, f.funding_source_code, f.plan_amount_vnd"
            " from in_force as v join raw.fund_amounts as f using (submission_id)"
            " where v.period_month = (select max(period_month) from in_force) and f.plan_amount_vnd is not null"
        ).format(in_force=sql.SQL(VERSION_IN_FORCE.format(carries="has_funds"))),
        {"unit": unit_code, "start": dt.date(period.year, 1, 1), "period": period},
    ).fetchall()
    conn.commit()
    return [
        PlanFigure("warehouse", "", unit_code, period.year, "plan", int(y), c, s, Decimal(a), True)
        for y, c, s, a in rows
    ]
