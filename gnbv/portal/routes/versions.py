"""A unit-month's accepted versions compared figure by figure (``gnbv.portal.versions``): for
the unit's officers, its lead agencies and the province office."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from gnbv.portal import access
from gnbv.portal.routes.unit import parse_period, unit_name
from gnbv.portal.security import Conn, SignedIn

router = APIRouter()


@router.get("/units/{unit_code}/versions")
def versions_page(
    request: Request,
    unit_code: str,
    account: SignedIn,
    conn: Conn,
    period: str,
    a: str | None = None,
    b: str | None = None,
) -> Response:
    from gnbv.portal.app import render
    from gnbv.portal.versions import VersionError, accepted_versions, compare

    month = parse_period(period)
    assert month is not None
    if not access.can_see_unit(account, unit_code, month):
        raise HTTPException(status_code=404)
    versions = accepted_versions(conn, unit_code, month)
    ids = [v.submission_id for v in versions]
    older = a if a in ids else (ids[-2] if len(ids) > 1 else None)
    newer = b if b in ids else (ids[-1] if ids else None)
    changes = None
    if older and newer:
        try:
            changes = compare(conn, unit_code, month, older, newer)
        except VersionError:
            raise HTTPException(status_code=404) from None
    return render(
        request,
        "versions.html",
        {
            "unit_code": unit_code,
            "unit_name": unit_name(unit_code),
            "period": month,
            "versions": versions,
            "older": older,
            "newer": newer,
            "changes": changes,
        },
    )
