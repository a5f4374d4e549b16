"""``gnbv users`` and ``gnbv portal --demo`` as an administrator uses them, and the hand-over of
accepted portal uploads to the province's consolidation (the intake DAG's asset event)."""

from __future__ import annotations

import datetime as dt

import psycopg
from click.testing import CliRunner

from gnbv.cli import main


def run(*args: str, stdin: str | None = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output.strip().splitlines()


def test_an_account_takes_its_password_from_standard_input_and_keeps_only_its_hash(database_url: str) -> None:
    code, lines = run("users", "add", "cli-unit", "--role", "unit", "--unit", "01290", stdin="my-own-password-1\n")
    assert code == 0, lines
    assert lines == ["added cli-unit: unit (unit 01290, province 04)"]  # no password shown
    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute("select password_hash from portal.accounts where name = 'cli-unit'").fetchone()
    assert stored.startswith("$argon2id$") and "my-own-password-1" not in stored


def test_without_a_password_one_is_generated_and_shown_once(database_url: str) -> None:
    code, lines = run("users", "add", "cli-province", "--role", "province", "--province", "04", stdin="")
    assert code == 0 and lines[-1].startswith("password (shown once): ")
    code, lines = run("users", "list")
    assert any(line.startswith("cli-province") and "province 04" in line for line in lines)
    assert not any("password" in line for line in lines)


def test_wrong_accounts_are_refused_with_a_reason(database_url: str) -> None:
    assert run("users", "add", "x-unit", "--role", "unit", stdin="long-enough-pw\n")[1] == [
        "error: a unit account needs --unit CODE"
    ]
    assert run("users", "add", "x-unit", "--role", "unit", "--unit", "99999", stdin="long-enough-pw\n")[0] == 2
    assert run("users", "add", "x-unit", "--role", "unit", "--unit", "01290", stdin="short\n")[0] == 2


def test_a_token_is_the_last_line_and_dies_with_the_account(database_url: str) -> None:
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect

    run("users", "add", "cli-script", "--role", "unit", "--unit", "01290", stdin="a-script-password\n")
    code, lines = run("users", "token", "cli-script")
    assert code == 0 and lines[-1].startswith("gnbv_")
    with owner_connect() as conn:
        assert accounts.by_token(conn, lines[-1]) is not None
        stored = conn.execute("select string_agg(token_sha256, ' ') from portal.api_tokens").fetchone()[0]
        assert lines[-1] not in stored
    assert run("users", "disable", "cli-script")[0] == 0
    with owner_connect() as conn:
        assert accounts.by_token(conn, lines[-1]) is None
        assert accounts.authenticate(conn, "cli-script", "a-script-password", "test").reason == "disabled"
    assert run("users", "reset", "cli-script", stdin="a-new-password-2\n")[0] == 0
    with owner_connect() as conn:
        assert accounts.authenticate(conn, "cli-script", "a-new-password-2", "test").reason == "ok"


def test_the_demo_accounts_are_made_once_and_their_passwords_shown(database_url: str) -> None:
    from gnbv.portal import accounts
    from gnbv.portal.database import owner_connect
    from gnbv.portal.demo import DEMO_ACCOUNTS, create_demo_accounts

    first, again = create_demo_accounts(), create_demo_accounts()
    assert len(first) == len(again) == 1 + len(DEMO_ACCOUNTS)
    name, password = again[1].split()[:2]
    with owner_connect() as conn:
        assert accounts.authenticate(conn, name, password, "test").reason == "ok"
        roles = {accounts.find(conn, n).role for n, *_ in DEMO_ACCOUNTS}  # type: ignore[union-attr]
    assert roles == {"unit", "agency", "province"}


def test_accepted_uploads_are_handed_to_the_consolidation_once(database_url: str) -> None:
    from gnbv.orchestration.intake import with_portal_uploads
    from gnbv.portal import consolidation
    from gnbv.portal.database import connect

    with_portal_uploads([], log=lambda line: None)  # what other tests' uploads asked for
    with connect() as conn:
        consolidation.request(conn, "04", dt.date(2026, 11, 1), "s1")
        consolidation.request(conn, "04", dt.date(2026, 11, 1), "s2")
        conn.commit()
    said: list[str] = []
    assert with_portal_uploads([["04", "2026-10"]], log=said.append) == [["04", "2026-10"], ["04", "2026-11"]]
    assert said == ["accepted through the portal: 04/2026-11"]
    assert with_portal_uploads([], log=said.append) == []  # handed over: not again
