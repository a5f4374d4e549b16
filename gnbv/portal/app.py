"""The portal's FastAPI application: middleware, templates, error pages, one router per area.

Areas (``gnbv.portal.routes``): ``auth`` (log-in, log-out), ``unit`` (a unit's page, sending a
report, its verdict), ``files`` (downloads by upload number), ``api`` (scripts, bearer tokens),
``overview`` (lead agencies and the province: what their units sent). A later area mounts its
router here and renders its pages on ``base.html``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.middleware.sessions import SessionMiddleware

from gnbv import settings
from gnbv.portal import database
from gnbv.portal.security import Forbidden, LoginRequired, csrf_token

ENV_SECRET = settings.PORTAL_SECRET.name
ENV_SECURE_COOKIES = settings.PORTAL_SECURE_COOKIES.name
ENV_MAX_UPLOAD_MB = settings.PORTAL_MAX_UPLOAD_MB.name
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_MAX_AGE_S = 8 * 3600
TEMPLATES_DIR = Path(__file__).parent / "templates"
log = logging.getLogger(__name__)


def max_upload_bytes() -> int:
    value = os.environ.get(ENV_MAX_UPLOAD_MB, "").strip()
    return int(float(value) * 1024 * 1024) if value else DEFAULT_MAX_UPLOAD_BYTES


def _secret() -> str:
    """$GNBV_PORTAL_SECRET, else one made once and kept in .gnbv/portal-secret (mode 600)."""
    value = os.environ.get(ENV_SECRET, "").strip()
    if value:
        return value
    path = settings.project_root() / settings.STATE_DIR_NAME / "portal-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def bilingual(vi: str, en: str) -> Markup:
    """Vietnamese first, English beside it (marked as English for screen readers)."""
    return Markup('{} <span class="en" lang="en">/ {}</span>').format(vi, en)


def vnd(value: int | None) -> str:
    """Whole đồng with Vietnamese thousands dots; — for no figure."""
    from gnbv.report.fmt import vn_number

    return str(vn_number(value, empty="—"))


def local_time(moment: dt.datetime | None) -> str:
    """A moment as officers read it: Vietnam time, day first."""
    from gnbv.orchestration.calendar import to_local

    return "—" if moment is None else f"{to_local(moment):%d/%m/%Y %H:%M}"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["local"] = local_time
templates.env.globals.update(csrf_token=csrf_token, t=bilingual, vnd=vnd)


def _returns_of(request: Request, unit_code: str) -> list[dict[str, Any]]:
    """The unit's approvals and returns (its page shows what a lead agency sent back and why)."""
    from gnbv.portal.approvals import history

    return history(request.state.conn, unit_code)


templates.env.globals["approvals_of"] = _returns_of


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    context = {"account": getattr(request.state, "account", None), **(context or {})}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def create_app() -> FastAPI:
    from gnbv.portal.routes import api, approvals_api, auth, board, files, overview, unit, versions
    from gnbv.portal.uploads import DocsBuilder

    docs = DocsBuilder()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _warm_up()
        docs.start()
        yield
        docs.stop()

    app = FastAPI(
        title="gnbv portal", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )
    app.state.docs = docs
    app.state.max_upload_bytes = max_upload_bytes()

    @app.middleware("http")
    async def connection_per_request(request: Request, call_next: Any) -> Response:
        # the body is never read before the size is known: a declared length over the limit is
        # refused here (a body sent without one is measured when read)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > app.state.max_upload_bytes + 64 * 1024:
            return _too_large(request)
        with database.connect() as conn:
            request.state.conn = conn
            response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
        return response

    # added last, so it runs first: the session is there for the middleware above
    app.add_middleware(
        SessionMiddleware,
        secret_key=_secret(),
        session_cookie="gnbv_portal",
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=os.environ.get(ENV_SECURE_COOKIES, "") == "1",
    )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", {"message": str(exc)}, status_code=403)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        messages = {
            403: "Yêu cầu bị từ chối (phiên làm việc hết hạn hoặc biểu mẫu không hợp lệ). Tải lại trang rồi thử lại."
            " / Refused (the session expired or the form is not valid). Reload the page and try again.",
            404: "Không tìm thấy. / Not found.",
            413: _TOO_LARGE_TEXT.format(mb=app.state.max_upload_bytes // (1024 * 1024)),
        }
        message = messages.get(exc.status_code, "Có lỗi. / Something went wrong.")
        return render(request, "error.html", {"message": message}, status_code=exc.status_code)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for area in (auth, unit, files, api, overview, board, approvals_api, versions):
        app.include_router(area.router)
    return app


_TOO_LARGE_TEXT = "Tệp quá lớn (tối đa {mb} MB). / The file is too large (at most {mb} MB)."


def _too_large(request: Request) -> Response:
    mb = max_upload_bytes() // (1024 * 1024)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": f"the file is over the size limit of {mb} MB"}, status_code=413)
    return HTMLResponse(
        f"<!doctype html><html lang=vi><meta charset=utf-8><title>413</title><p>{_TOO_LARGE_TEXT.format(mb=mb)}</p>",
        status_code=413,
    )


def _warm_up() -> None:
    """Load the reference data and Great Expectations before the first upload, not during it."""
    try:
        from gnbv.reference import load_reference
        from ingest.gate import _checkpoint

        load_reference()
        _checkpoint()
    except Exception:
        log.exception("warming up the portal failed; the first upload will load what it needs")
