"""``gnbv users …`` and ``gnbv portal``: the portal's accounts and its server.

Only click is imported here; argon2, FastAPI and the intake load when a command runs
(tests/test_cli_imports.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import psycopg

ROLE_CHOICE = click.Choice(["unit", "agency", "province", "admin"])


def _read_password() -> tuple[str, bool]:
    """The password from standard input when it is not a terminal, else a generated one."""
    from gnbv.portal.accounts import generate_password

    if not sys.stdin.isatty():
        text = sys.stdin.readline().rstrip("\r\n")
        if text:
            return text, False
    return generate_password(), True


def _fail(err: Exception) -> None:
    click.echo(f"error: {err}", err=True)
    sys.exit(2)


@contextmanager
def _accounts_connection() -> Iterator[psycopg.Connection[Any]]:
    """The portal owner's connection for one command on the accounts; a change the accounts
    refuse (``AccountError``) is printed and ends the command with exit status 2."""
    from gnbv.portal.accounts import AccountError
    from gnbv.portal.database import owner_connect

    try:
        with owner_connect() as conn:
            yield conn
    except AccountError as err:
        _fail(err)


@click.group("users")
def users_group() -> None:
    """Accounts of the submission portal (gnbv portal).

    \b
    gnbv users add huyen043 --role unit --unit 043      (password from stdin, or generated)
    gnbv users add sotc --role province --province 04
    gnbv users add bandantoc --role agency --agency BDT --province 04
    gnbv users list | disable NAME | reset NAME | token NAME
    """


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, required=True, help="What the account does.")
@click.option("--unit", help="The reporting unit's code (role unit).")
@click.option("--agency", help="The lead agency's code (role agency).")
@click.option("--province", help="The province's code (roles agency and province).")
def users_add(name: str, role: str, unit: str | None, agency: str | None, province: str | None) -> None:
    """Create an account. Its password is read from standard input (one line); with none there,
    one is generated and shown once."""
    from gnbv.portal import accounts

    password, generated = _read_password()
    with _accounts_connection() as conn:
        account = accounts.add(conn, name, role, password, unit=unit, agency=agency, province=province)
    click.echo(f"added {account.name}: {account.role} ({account.scope_text})")
    if generated:
        click.echo(f"password (shown once): {password}")


@users_group.command("list")
def users_list() -> None:
    """Every account, its role and scope; disabled ones marked."""
    from gnbv.portal import accounts

    with _accounts_connection() as conn:
        for account in accounts.list_all(conn):
            state = "  DISABLED" if account.disabled else ""
            click.echo(f"{account.name:24} {account.role:9} {account.scope_text}{state}")


@users_group.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Refuse the account's log-ins and tokens from now on; end its sessions."""
    from gnbv.portal import accounts

    with _accounts_connection() as conn:
        accounts.disable(conn, name)
    click.echo(f"disabled {name}")


@users_group.command("reset")
@click.argument("name")
def users_reset(name: str) -> None:
    """A new password (standard input, or generated and shown once); enables and unlocks."""
    from gnbv.portal import accounts

    password, generated = _read_password()
    with _accounts_connection() as conn:
        accounts.reset(conn, name, password)
    click.echo(f"reset {name}")
    if generated:
        click.echo(f"password (shown once): {password}")


@users_group.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Print a new API token for scripts (its last line; kept only as a hash)."""
    from gnbv.portal import accounts

    with _accounts_connection() as conn:
        token = accounts.new_token(conn, name)
    click.echo(f"new API token for {name} (shown once; send it as 'Authorization: Bearer …'):")
    click.echo(token)


@click.command("portal")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Create demo accounts of the sample province first (passwords shown once).")
def portal_command(host: str, port: int, demo: bool) -> None:
    """Serve the submission portal: units send their Biểu 05 and read the verdict at once.

    Vietnamese first, English beside it; works on a phone. Accounts: `gnbv users`. The secret
    that signs session cookies is $GNBV_PORTAL_SECRET (else one kept in .gnbv/portal-secret);
    behind HTTPS set GNBV_PORTAL_SECURE_COOKIES=1, and name the reverse proxy in
    GNBV_PORTAL_TRUSTED_PROXIES so that log-ins are throttled per client, not per proxy.
    """
    import uvicorn

    from gnbv.portal.app import create_app
    from gnbv.portal.serving import server_config, trusted_proxies

    if demo:
        from gnbv.portal.demo import create_demo_accounts

        for line in create_demo_accounts():
            click.echo(line)
    click.echo(f"portal on http://{host}:{port}/  (Ctrl-C stops)")
    if proxies := trusted_proxies():
        click.echo(f"clients as named by the proxies {', '.join(proxies)} (GNBV_PORTAL_TRUSTED_PROXIES)")
    uvicorn.Server(server_config(create_app(), host=host, port=port)).run()
