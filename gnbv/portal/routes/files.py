"""Downloads: an upload's own file, its verdict note, its marked workbook — named by the upload's
number and a kind from a fixed list, never by a path; each download is audited."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from gnbv.portal import access, audit, uploads
from gnbv.portal.security import Conn, SignedIn, client_of

router = APIRouter()


@router.get("/files/{upload_id}/{kind}")
def download(
    request: Request,
    upload_id: int,
    kind: str,
    account: SignedIn,
    conn: Conn,
) -> Response:
    stored = uploads.stored_file(conn, upload_id, kind) if kind in uploads.KINDS else None
    if stored is None or not access.can_see_unit(account, stored.unit_code):
        audit.record(
            conn,
            "download",
            "refused",
            account=account,
            upload_id=upload_id,
            client=client_of(request),
            detail={"kind": kind[:20]},
        )
        raise HTTPException(status_code=404)
    audit.record(
        conn,
        "download",
        kind,
        account=account,
        unit_code=stored.unit_code,
        period=stored.period,
        submission_id=stored.submission_id,
        upload_id=upload_id,
        client=client_of(request),
    )
    ascii_name = stored.file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(
        stored.content,
        media_type=stored.media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.file_name)}"
        },
    )
