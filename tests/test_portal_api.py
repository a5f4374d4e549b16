"""The portal's API and its security, against a served portal on the test warehouse: every status
of ``POST /api/v1/submissions``, the unit's list, the audit rows, and what an attacker tries
(passwords in clear, session fixation, open redirects, path traversal, CSRF, lockout), and what
the portal's database role may do."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import httpx
import psycopg
import pytest

from gnbv.portal.accounts import MAX_CLIENT_FAILURES
from tests.portal_support import PASSWORD, UNIT, api_tokens, csrf_of, portal_file_fixtures, serve, served_portal
from tests.servers import free_port

files, names = portal_file_fixtures("api", seed=0)
portal = served_portal()
tokens = api_tokens()


def post_file(portal: str, token: str | None, path: Path, period: dt.date | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = {"period": f"{period:%Y-%m}"} if period else {}
    with path.open("rb") as f:
        return httpx.post(
            portal + "/api/v1/submissions", headers=headers, data=data, files={"file": (path.name, f)}, timeout=120
        )


def audit_rows(database_url: str, action: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "select account_name, outcome, unit_code, period_month, submission_id from portal.audit_log"
            " where action = %s order by audit_id",
            (action,),
        ).fetchall()


def test_an_accepted_report_answers_its_verdict_and_is_audited(portal, tokens, files, database_url) -> None:
    answer = post_file(portal, tokens["unit"], files.good, files.period)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"] == "accepted", body
    assert body["unit_code"] == UNIT and body["period"] == f"{files.period:%Y-%m}"
    assert body["submission_id"] and all(p["code"] for p in body["problems"])
    assert ("api-unit", "accepted", UNIT, files.period, body["submission_id"]) in audit_rows(database_url, "upload")
    with psycopg.connect(database_url) as conn:
        pending = conn.execute(
            "select province_code, period_month from portal.consolidation_requests where submission_id = %s",
            (body["submission_id"],),
        ).fetchall()
    assert pending == [("04", files.period)]


def test_the_same_file_again_is_a_duplicate(portal, tokens, files) -> None:
    post_file(portal, tokens["unit"], files.good, files.period)
    body = post_file(portal, tokens["unit"], files.good, files.period).json()
    assert body["verdict"] == "duplicate"


def test_a_rejected_report_lists_each_problem_with_its_cell_in_both_languages(portal, tokens, files) -> None:
    answer = post_file(portal, tokens["unit"], files.bad, files.period)
    assert answer.status_code == 200
    body = answer.json()
    assert body["verdict"] == "rejected"
    located = [p for p in body["problems"] if p["cell"]]
    assert located, body["problems"]
    assert all(p["message_vi"] and p["message_en"] and p["sheet"] for p in located)


def test_another_units_file_is_refused_recorded_nowhere_and_audited(portal, tokens, files, database_url) -> None:
    answer = post_file(portal, tokens["unit"], files.other_unit, files.period)
    assert answer.status_code == 403
    assert answer.json()["problems"][0]["code"] == "other_unit"
    with psycopg.connect(database_url) as conn:
        landed = conn.execute("select count(*) from raw.submissions where unit_code = '01294'").fetchone()
    assert landed == (0,)
    assert ("api-unit", "refused_other_unit", "01294") in [r[:3] for r in audit_rows(database_url, "upload")]


def test_without_a_valid_token_the_answer_is_401(portal, files) -> None:
    assert post_file(portal, None, files.good).status_code == 401
    assert post_file(portal, "gnbv_not-a-token", files.good).status_code == 401
    assert httpx.get(portal + "/api/v1/submissions").status_code == 401


def test_a_file_over_the_limit_is_413(portal, tokens, tmp_path) -> None:
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * (1024 * 1024 + 10))
    assert post_file(portal, tokens["unit"], big).status_code == 413


def test_only_a_unit_account_sends(portal, tokens, files) -> None:
    assert post_file(portal, tokens["province"], files.good).status_code == 403


def test_the_list_holds_the_units_own_submissions_of_the_month(portal, tokens, files) -> None:
    post_file(portal, tokens["unit"], files.good, files.period)
    listed = httpx.get(
        portal + "/api/v1/submissions",
        params={"period": f"{files.period:%Y-%m}"},
        headers={"Authorization": f"Bearer {tokens['unit']}"},
    )
    assert listed.status_code == 200
    body = listed.json()
    assert body["unit_code"] == UNIT and body["submissions"]
    assert {s["period"] for s in body["submissions"]} == {f"{files.period:%Y-%m}"}
    other = httpx.get(portal + "/api/v1/submissions", headers={"Authorization": f"Bearer {tokens['unit2']}"}).json()
    assert other["submissions"] == []


# --------------------------------------------------------------------------- security


def log_in(
    portal: str, name: str, password: str = PASSWORD, next_: str = "/", forwarded_for: str | None = None
) -> httpx.Client:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    client = httpx.Client(base_url=portal, follow_redirects=False, timeout=60, headers=headers)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": next_})
    client.last_login = answer  # type: ignore[attr-defined]
    return client


def _failed_log_ins(portal: str, times: int, forwarded_for: str, peer: str = "127.0.0.1") -> httpx.Response:
    """``times`` log-ins with a wrong password, from ``peer``, each saying (X-Forwarded-For) that it
    is forwarded for ``forwarded_for``; the last answer."""
    transport = httpx.HTTPTransport(local_address=peer)
    with httpx.Client(base_url=portal, transport=transport, headers={"X-Forwarded-For": forwarded_for}) as client:
        for _ in range(times):
            token = csrf_of(client.get("/login").text)
            answer = client.post("/login", data={"name": "no.such.officer", "password": "wrong", "csrf_token": token})
    return answer


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(names, database_url) -> None:
    """In a deployment the portal sits behind a TLS reverse proxy (docs/deployment.md): every
    connection comes from the proxy. Told which proxy to believe, the portal counts failed
    log-ins per client the proxy names, so one client's guessing throttles that client only —
    not every officer of the province behind the same proxy."""
    with contextlib.contextmanager(serve)(free_port(), trusted_proxies="127.0.0.1") as portal:
        guesser = _failed_log_ins(portal, MAX_CLIENT_FAILURES + 1, forwarded_for="203.0.113.7")
        officer = log_in(portal, names["unit"], forwarded_for="198.51.100.23").last_login  # type: ignore[attr-defined]
    assert guesser.status_code == 429
    assert officer.status_code == 303, officer.text
    with psycopg.connect(database_url) as conn:
        clients = conn.execute("select distinct client from portal.login_attempts where client like '%.113.7'")
        assert clients.fetchall() == [("203.0.113.7",)]


def test_an_address_forwarded_by_anyone_else_is_not_believed(names, database_url) -> None:
    """By default no proxy is believed: a client cannot dodge the throttle by naming another
    address in each request."""
    with contextlib.contextmanager(serve)(free_port()) as portal:
        for n in range(MAX_CLIENT_FAILURES):
            _failed_log_ins(portal, 1, forwarded_for=f"192.0.2.{n}", peer="127.0.0.9")
        last = _failed_log_ins(portal, 1, forwarded_for="192.0.2.99", peer="127.0.0.9")
    assert last.status_code == 429
    with psycopg.connect(database_url) as conn:
        counted = conn.execute(
            "select client, count(*) from portal.login_attempts"
            " where client like '192.0.2.%' or client = '127.0.0.9' group by client"
        )
        assert counted.fetchall() == [("127.0.0.9", MAX_CLIENT_FAILURES + 1)]


def test_no_password_is_stored_or_logged_in_clear(portal, names, database_url, caplog) -> None:
    log_in(portal, names["unit"])
    log_in(portal, names["unit"], "a wrong password typed")
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("select password_hash from portal.accounts where name = %s", (names["unit"],)).fetchone()
        everything = conn.execute("select string_agg(t::text, ' ') from (select * from portal.audit_log) t").fetchone()[
            0
        ] + " ".join(str(r) for r in conn.execute("select * from portal.login_attempts").fetchall())
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    assert PASSWORD not in everything and "a wrong password typed" not in everything
    assert PASSWORD not in caplog.text


def test_a_session_id_planted_before_log_in_is_not_the_one_after(portal, names) -> None:
    client = httpx.Client(base_url=portal, follow_redirects=False, timeout=60)
    client.get("/login")
    planted = client.cookies.get("gnbv_portal")
    victim = httpx.Client(base_url=portal, follow_redirects=False, timeout=60)
    victim.cookies.set("gnbv_portal", planted, domain="127.0.0.1", path="/")
    token = csrf_of(victim.get("/login").text)
    victim.post("/login", data={"name": names["unit"], "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert victim.get("/unit").status_code == 200
    assert victim.cookies.get("gnbv_portal") != planted
    attacker = httpx.Client(base_url=portal, follow_redirects=False, timeout=60)
    attacker.cookies.set("gnbv_portal", planted, domain="127.0.0.1", path="/")
    assert attacker.get("/unit").status_code == 303  # to the log-in form: the planted cookie has no account


def test_log_out_ends_the_session_even_for_a_copy_of_the_cookie(portal, names) -> None:
    client = log_in(portal, names["unit"])
    copy = client.cookies.get("gnbv_portal")
    page = client.get("/unit")
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    replay = httpx.Client(base_url=portal, follow_redirects=False, timeout=60)
    replay.cookies.set("gnbv_portal", copy, domain="127.0.0.1", path="/")
    assert replay.get("/unit").status_code == 303


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil.example", "javascript:alert(1)"],
)
def test_log_in_never_sends_the_browser_to_another_site(portal, names, target) -> None:
    answer = log_in(portal, names["unit"], next_=target).last_login  # type: ignore[attr-defined]
    assert answer.status_code == 303
    assert answer.headers["location"] in ("/unit", "/")


def test_log_in_follows_a_local_next(portal, names) -> None:
    answer = log_in(portal, names["unit"], next_="/unit").last_login  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/unit"


@pytest.mark.parametrize(
    "path",
    [
        "/files/1/../../../etc/passwd",
        "/files/..%2f..%2fetc%2fpasswd/original",
        "/files/1/%2e%2e%2fpasswd",
        "/files/1/../1",
    ],
)
def test_download_links_never_reach_a_path(portal, names, path) -> None:
    client = log_in(portal, names["unit"])
    answer = client.get(path)
    assert answer.status_code in (404, 422, 303), answer.status_code
    assert b"root:" not in answer.content


def test_a_unit_cannot_download_another_units_files(portal, names, tokens, files, database_url) -> None:
    upload_id = post_file(portal, tokens["unit"], files.good, files.period).json()["upload_id"]
    other = log_in(portal, names["unit2"])
    assert other.get(f"/files/{upload_id}/original").status_code == 404
    assert log_in(portal, names["province"]).get(f"/files/{upload_id}/original").status_code == 200
    with psycopg.connect(database_url) as conn:
        downloads = conn.execute(
            "select account_name, outcome from portal.audit_log where action = 'download' and upload_id = %s",
            (upload_id,),
        ).fetchall()
    assert downloads == [("api-unit2", "refused"), ("api-province", "original")]


def test_a_form_post_without_its_csrf_token_is_refused(portal, names) -> None:
    client = log_in(portal, names["unit"])
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    fresh = httpx.Client(base_url=portal, follow_redirects=False)
    assert fresh.post("/login", data={"name": names["unit"], "password": PASSWORD}).status_code == 403


def test_too_many_wrong_passwords_lock_the_account(portal, database_url) -> None:
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect

    with owner_connect() as conn:
        accounts.add(conn, "api-lockme", "unit", PASSWORD, unit=UNIT)
    for _ in range(accounts.MAX_FAILURES):
        log_in(portal, "api-lockme", "wrong-password")
    locked = log_in(portal, "api-lockme").last_login  # type: ignore[attr-defined]
    assert locked.status_code == 429  # the right password, refused while locked
    outcomes = [r[1] for r in audit_rows(database_url, "login") if r[0] == "api-lockme"]
    assert outcomes[-1] == "locked" and "wrong" in outcomes


def test_the_portal_role_writes_raw_and_its_records_and_nothing_else(database_url) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("set role gnbv_portal")
        conn.execute("select count(*) from raw.submissions")
        conn.execute("select count(*) from portal.uploads")
        for statement in (
            "update portal.audit_log set outcome = 'x'",
            "delete from portal.audit_log",
            "update portal.accounts set password_hash = '$argon2id$x'",
            "insert into portal.accounts (name, role, password_hash) values ('x1', 'admin', '$argon2')",
            "delete from raw.submissions",
            "update raw.fund_amounts set plan_amount_vnd = 0",
            "create table raw.x (a int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_a_corrected_version_shows_what_changed_against_the_previous_one(portal, names, tokens, files) -> None:
    post_file(portal, tokens["unit"], files.good, files.period)
    again = post_file(portal, tokens["unit"], files.good_again, files.period).json()
    assert again["verdict"] == "accepted", again["problems"]
    page = log_in(portal, names["unit"]).get(f"/uploads/{again['upload_id']}")
    assert page.status_code == 200
    assert "So với bản đã tiếp nhận trước của tháng này" in page.text and "→" in page.text
    listed = httpx.get(portal + "/api/v1/submissions", headers={"Authorization": f"Bearer {tokens['unit']}"}).json()
    assert "superseded" in {s["status"] for s in listed["submissions"]}


def test_the_units_page_lists_its_reports_taken_in_otherwise(portal, names, files, database_url) -> None:
    from gnbv import db
    from ingest.intake import ingest_file
    from tests.portal_support import make_files

    inbox_file = make_files(files.good.parent.parent / "inbox", seed=7).good
    with db.connect() as conn:
        result = ingest_file(conn, inbox_file, expected_period=files.period)
    assert result.status == "accepted"
    page = log_in(portal, names["unit"]).get("/unit")
    assert "Báo cáo nhận qua kênh khác" in page.text and inbox_file.name in page.text
    assert "Đã được thay thế" in page.text  # the portal's earlier accepted versions: superseded
