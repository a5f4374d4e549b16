"""Lead agencies, the province office and administrators: what the units of their province sent
(they see, never send). The province's status board builds on this area."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gnbv.portal.security import Conn, Oversight

router = APIRouter()

_RECENT = """
    select u.upload_id, u.unit_code, u.file_name, u.received_at, u.verdict, u.period_month, u.late, u.days_late
    from portal.uploads as u
    where %(province)s::text is null or u.unit_code = any(%(units)s)
    order by u.received_at desc
    limit 100
"""


@router.get("/overview")
def overview(
    request: Request,
    account: Oversight,
    conn: Conn,
) -> Response:
    from gnbv.portal.app import render
    from gnbv.reference import load_reference

    ref = load_reference()
    province = account.province_code
    units = sorted(
        {u.unit_code for u in ref.units if province and ref.province_of(u.unit_code, u.valid_from) == province}
    )
    names = {u.unit_code: u.unit_name for u in sorted(ref.units, key=lambda u: u.valid_from)}
    rows = conn.execute(_RECENT, {"province": province, "units": units}).fetchall()
    conn.commit()
    return render(request, "overview.html", {"rows": rows, "names": names, "province": province})
