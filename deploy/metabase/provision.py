"""Connect Metabase to the warehouse as the read-only BI log-in (the ``metabase-init`` service).

Metabase's open-source edition has no configuration file for its databases, so this uses its
HTTP API, idempotently, at every ``docker compose up``:

1. wait until ``GET /api/health`` answers ``{"status": "ok"}``;
2. first start: ``POST /api/setup`` with the setup token (``GET /api/session/properties``)
   creates the admin account; later starts: ``POST /api/session`` logs in as that admin;
3. the warehouse database (``GNBV_METABASE_DB_NAME``) is added with ``POST /api/database`` —
   engine postgres, the BI log-in (member of gnbv_bi: SELECT on marts only), schema filter
   ``marts`` — or, when it exists, updated with ``PUT /api/database/:id`` (a rotated password).

Only the standard library: it runs in any Python 3.11 (the project's image).

Environment: ``METABASE_URL`` (default http://metabase:3000), ``METABASE_ADMIN_EMAIL``,
``METABASE_ADMIN_PASSWORD``, ``GNBV_BI_DB_USER`` (default gnbv_bi_reader), ``GNBV_BI_DB_PASSWORD``,
``GNBV_WAREHOUSE_HOST`` (default warehouse), ``GNBV_WAREHOUSE_PORT`` (5432),
``GNBV_WAREHOUSE_DB`` (gnbv), ``GNBV_METABASE_DB_NAME`` (default "GNBV warehouse (marts)"),
``METABASE_WAIT_S`` (default 600).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ProvisionError(Exception):
    """Metabase refused a step; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    metabase_url: str
    admin_email: str
    admin_password: str
    bi_user: str
    bi_password: str
    warehouse_host: str = "warehouse"
    warehouse_port: int = 5432
    warehouse_db: str = "gnbv"
    database_name: str = "GNBV warehouse (marts)"
    site_name: str = "GNBV — Giảm nghèo bền vững"
    wait_s: float = 600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        missing = [
            k for k in ("METABASE_ADMIN_EMAIL", "METABASE_ADMIN_PASSWORD", "GNBV_BI_DB_PASSWORD") if not env.get(k)
        ]
        if missing:
            raise ProvisionError(f"missing setting(s): {', '.join(missing)} (see .env.example)")
        return cls(
            metabase_url=env.get("METABASE_URL", "http://metabase:3000").rstrip("/"),
            admin_email=env["METABASE_ADMIN_EMAIL"],
            admin_password=env["METABASE_ADMIN_PASSWORD"],
            bi_user=env.get("GNBV_BI_DB_USER") or "gnbv_bi_reader",
            bi_password=env["GNBV_BI_DB_PASSWORD"],
            warehouse_host=env.get("GNBV_WAREHOUSE_HOST") or "warehouse",
            warehouse_port=int(env.get("GNBV_WAREHOUSE_PORT") or 5432),
            warehouse_db=env.get("GNBV_WAREHOUSE_DB") or "gnbv",
            database_name=env.get("GNBV_METABASE_DB_NAME") or "GNBV warehouse (marts)",
            wait_s=float(env.get("METABASE_WAIT_S") or 600),
        )

    def database_details(self) -> dict[str, Any]:
        return {
            "host": self.warehouse_host,
            "port": self.warehouse_port,
            "dbname": self.warehouse_db,
            "user": self.bi_user,
            "password": self.bi_password,
            "ssl": False,
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": "marts",
            "tunnel-enabled": False,
        }


class Metabase:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.session:
            headers["X-Metabase-Session"] = self.session
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode() or "null"
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:500]
            raise ProvisionError(f"{method} {path}: HTTP {err.code} {detail}") from None
        return json.loads(text)

    def healthy(self) -> bool:
        try:
            return bool(self.call("GET", "/api/health").get("status") == "ok")
        except (OSError, ProvisionError, ValueError):
            return False


def provision(settings: Settings, *, echo: Any = print) -> dict[str, Any]:
    """Set Metabase up (first start) or log in, then add or update the warehouse database.
    Returns ``{"setup": bool, "database_id": int, "action": "created" | "updated"}``."""
    mb = Metabase(settings.metabase_url)
    deadline = time.monotonic() + settings.wait_s
    while not mb.healthy():
        if time.monotonic() > deadline:
            raise ProvisionError(f"Metabase at {settings.metabase_url} not healthy within {settings.wait_s:.0f}s")
        time.sleep(3)
    properties = mb.call("GET", "/api/session/properties")
    token = properties.get("setup-token")
    first_start = bool(token) and not properties.get("has-user-setup")
    if first_start:
        session = mb.call(
            "POST",
            "/api/setup",
            {
                "token": token,
                "user": {
                    "email": settings.admin_email,
                    "password": settings.admin_password,
                    "first_name": "GNBV",
                    "last_name": "Admin",
                    "site_name": settings.site_name,
                },
                "prefs": {"site_name": settings.site_name, "site_locale": "vi", "allow_tracking": False},
            },
        )
        echo("Metabase set up: admin account created")
    else:
        session = mb.call(
            "POST", "/api/session", {"username": settings.admin_email, "password": settings.admin_password}
        )
    mb.session = session["id"]
    listed = mb.call("GET", "/api/database")
    databases = listed.get("data", listed) if isinstance(listed, dict) else listed
    existing = next((d for d in databases if d.get("name") == settings.database_name), None)
    body = {
        "engine": "postgres",
        "name": settings.database_name,
        "details": settings.database_details(),
        "is_full_sync": True,
        "auto_run_queries": True,
    }
    if existing is None:
        created = mb.call("POST", "/api/database", body)
        database_id, action = int(created["id"]), "created"
    else:
        database_id, action = int(existing["id"]), "updated"
        mb.call("PUT", f"/api/database/{database_id}", body)
    echo(
        f"Metabase database {settings.database_name!r} {action} (id {database_id}):"
        f" log-in {settings.bi_user}, schema marts"
    )
    return {"setup": first_start, "database_id": database_id, "action": action}


def main() -> int:
    try:
        provision(Settings.from_env())
    except ProvisionError as err:
        print(f"metabase provisioning: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
