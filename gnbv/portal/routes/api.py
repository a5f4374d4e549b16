"""The API for machine-made submissions: bearer tokens of unit accounts (``gnbv users token``).

``POST /api/v1/submissions`` (multipart ``file``, optional ``period`` YYYY-MM): 200 with the
verdict (accepted, rejected or duplicate), 401 without a valid token, 403 for a file naming
another unit (or an account that does not send), 409 for a file changing figures approved and
locked (the reason in ``problems``: ``approved_locked``), 413 over the size limit.
``GET /api/v1/submissions?period=YYYY-MM``: the unit's own uploads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from gnbv.portal import audit, uploads
from gnbv.portal.routes.unit import judge_upload, parse_period
from gnbv.portal.security import Conn, ScriptAccount, client_of

router = APIRouter(prefix="/api/v1")


def _problems(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("code", "severity", "sheet", "cell", "message_vi", "message_en", "hint_vi", "hint_en")
    return [{k: p.get(k) for k in keys} for p in items]


@router.post("/submissions")
async def submit(
    request: Request,
    file: Annotated[UploadFile, File()],
    account: ScriptAccount,
    conn: Conn,
    period: Annotated[str, Form()] = "",
) -> JSONResponse:
    if account.role != "unit":
        audit.record(conn, "upload", "refused_role", account=account, client=client_of(request), detail={"api": True})
        raise HTTPException(status_code=403, detail="only a unit account sends reports")
    verdict = await judge_upload(request, conn, account, file, period)
    body = {
        "verdict": verdict.verdict,
        "submission_id": verdict.submission_id,
        "unit_code": verdict.unit_code,
        "period": f"{verdict.period:%Y-%m}" if verdict.period else None,
        "upload_id": verdict.upload_id,
        "late": verdict.late if verdict.verdict == "accepted" else None,
        "days_late": verdict.days_late if verdict.verdict == "accepted" else None,
        "problems": _problems(verdict.problems_json()),
    }
    # figures approved and locked (ingest.approval_lock): a conflict with the approval, not a bad file
    locked = any(p.code == "approved_locked" for p in verdict.problems)
    return JSONResponse(body, status_code=403 if verdict.verdict == "refused" else 409 if locked else 200)


@router.get("/submissions")
def list_submissions(
    request: Request,
    account: ScriptAccount,
    conn: Conn,
    period: str | None = None,
) -> JSONResponse:
    if account.role != "unit" or not account.unit_code:
        raise HTTPException(status_code=403, detail="only a unit account lists its own submissions")
    rows = uploads.list_for_unit(conn, account.unit_code, parse_period(period))
    return JSONResponse(
        {
            "unit_code": account.unit_code,
            "submissions": [
                {
                    "upload_id": r.upload_id,
                    "file_name": r.file_name,
                    "received_at": r.received_at.isoformat(),
                    "verdict": r.verdict,
                    "status": "superseded" if r.superseded else r.verdict,
                    "submission_id": r.submission_id,
                    "period": f"{r.period:%Y-%m}" if r.period else None,
                    "late": r.late,
                    "days_late": r.days_late,
                }
                for r in rows
            ],
        }
    )
