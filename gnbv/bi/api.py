"""A small client of Superset's REST API: what provisioning, export and the tests need.

Logs in with a user name and password (``/api/v1/security/login``, provider ``db``) and sends
the access token and a CSRF token (Superset checks one on every POST/PUT/DELETE of its API but
a few). Every failure raises :class:`~gnbv.bi.superset.BiError` with Superset's own message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from gnbv.bi.superset import BiError

TIMEOUT_S = 180


class SupersetApi:
    def __init__(self, base_url: str, *, timeout: float = TIMEOUT_S) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, follow_redirects=True)

    def __enter__(self) -> SupersetApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # ----------------------------------------------------------------------------- plumbing

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        if response.is_success:
            return response
        try:
            body = response.json()
            message = body.get("message") or body.get("errors") or body.get("msg") or body
        except ValueError:
            message = response.text[:500]
        raise BiError(f"Superset refused to {what} (HTTP {response.status_code}): {message}")

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise BiError(f"Superset did not answer ({what}): {err}. Is it running? `gnbv bi status`") from None
        return self._check(response, what)

    def get_json(self, path: str, what: str, **params: Any) -> Any:
        return self._request("GET", path, what, params=params).json()

    def post_json(self, path: str, what: str, payload: dict[str, Any]) -> Any:
        return self._request("POST", path, what, json=payload).json()

    def put_json(self, path: str, what: str, payload: dict[str, Any]) -> Any:
        return self._request("PUT", path, what, json=payload).json()

    # ----------------------------------------------------------------------------- session

    def login(self, username: str, password: str) -> None:
        token = self.post_json(
            "/api/v1/security/login",
            f"log {username} in",
            {"username": username, "password": password, "provider": "db", "refresh": False},
        )["access_token"]
        self._http.headers["Authorization"] = f"Bearer {token}"
        csrf = self.get_json("/api/v1/security/csrf_token/", "hand out a CSRF token")["result"]
        self._http.headers["X-CSRFToken"] = csrf
        self._http.headers["Referer"] = str(self._http.base_url)

    # ----------------------------------------------------------------------------- assets

    def import_assets(self, bundle_zip: bytes, passwords: dict[str, str]) -> None:
        """Import a bundle of databases, datasets, charts and dashboards, overwriting what has
        the same UUIDs; ``passwords`` by database file name (``databases/x.yaml``)."""
        self._request(
            "POST",
            "/api/v1/assets/import/",
            "import the dashboards",
            files={"bundle": ("bundle.zip", bundle_zip, "application/zip")},
            data={"passwords": json.dumps(passwords)},
        )

    def export_dashboards(self, ids: list[int]) -> bytes:
        """A zip of these dashboards with their charts, datasets and databases."""
        query = f"!({','.join(map(str, ids))})"
        return self._request("GET", "/api/v1/dashboard/export/", "export the dashboards", params={"q": query}).content

    def list_all(self, resource: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every ``chart`` / ``dashboard`` / ``dataset`` / ``database``, with these columns."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            query = f"(columns:!({','.join(columns)}),page:{page},page_size:100)"
            body = self.get_json(f"/api/v1/{resource}/", f"list the {resource}s", q=query)
            rows.extend(body["result"])
            if len(rows) >= body["count"] or not body["result"]:
                return rows
            page += 1

    # ----------------------------------------------------------------------------- data

    def chart_data(self, chart_id: int) -> list[dict[str, Any]]:
        """The rows of a saved chart's (first) query, run afresh from the query Superset stored
        with the chart."""
        body = self.get_json(f"/api/v1/chart/{chart_id}/data/", f"give the data of chart {chart_id}", force="true")
        rows: list[dict[str, Any]] = body["result"][0]["data"]
        return rows

    def sql_lab(self, database_id: int, sql: str, *, schema: str = "marts") -> dict[str, Any]:
        """Run ``sql`` in SQL Lab, synchronously. A refusal by the database raises BiError."""
        result: dict[str, Any] = self.post_json(
            "/api/v1/sqllab/execute/",
            "run the query in SQL Lab",
            {"database_id": database_id, "sql": sql, "schema": schema, "runAsync": False, "select_as_cta": False},
        )
        return result
