"""``POST /api/v1/approvals`` for scripts: the same actions as the status board's buttons.

JSON ``{"unit_code", "period": "YYYY-MM", "action": "approve"|"return"|"reopen", "comment",
"components"?: [...]}`` with a lead agency's or the province office's bearer token (``gnbv users
token``). 200 with what was done (``changed`` false when it was so already), 401 without a valid
token, 403 for a unit's token, another province's unit or another agency's components, 404 for
an unknown unit, 409 when the state does not allow it (nothing accepted to approve, reopen
before returning, the province reopens first…), 422 for a malformed request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gnbv.portal.routes.unit import parse_period
from gnbv.portal.security import Conn, ScriptAccount, client_of

router = APIRouter(prefix="/api/v1")


class ApprovalRequest(BaseModel):
    unit_code: str = Field(min_length=1, max_length=16)
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    action: str
    comment: str | None = Field(default=None, max_length=4000)
    components: list[str] | None = None


@router.post("/approvals")
def approve(request: Request, body: ApprovalRequest, account: ScriptAccount, conn: Conn) -> JSONResponse:
    from gnbv.portal.approvals import ApprovalError, act

    month = parse_period(body.period)
    assert month is not None
    try:
        outcome = act(
            conn, account, body.unit_code, month, body.action, body.comment, body.components, client=client_of(request)
        )
    except ApprovalError as err:
        detail: dict[str, Any] = {"message_vi": err.message_vi, "message_en": err.message_en}
        raise HTTPException(status_code=err.status, detail=detail) from None
    return JSONResponse(outcome.as_json())
