"""Log-in roles of the warehouse: users made members of the group roles of V003__roles.sql.

One home for creating a log-in and setting its password, used by the deployment's
``deploy/scripts/init_warehouse.py`` and by ``gnbv bi login``. Passwords are hashed on this
side (SCRAM-SHA-256, libpq's PQencryptPasswordConn) so the clear text never reaches the server
or its statement log.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import psycopg
from psycopg import sql

GROUPS = ("gnbv_loader", "gnbv_transformer", "gnbv_bi", "gnbv_portal")  # gnbv_portal: V007__portal.sql


class ConfigError(Exception):
    """A missing or wrong setting; the message says which."""


def generate_password() -> str:
    """A random password of 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def ensure_login(
    conn: psycopg.Connection,
    name: str,
    password: str,
    groups: Iterable[str],
    *,
    runs_dbt: bool = False,
) -> None:
    """Create log-in role ``name`` (or update it) with ``password``, member of exactly ``groups``
    among the gnbv group roles. ``runs_dbt``: tables this log-in creates in ``marts`` are readable
    by gnbv_bi (default privileges FOR ROLE the log-in, in the current database), for a dbt that
    does not SET ROLE gnbv_transformer."""
    wanted = tuple(groups)
    unknown = set(wanted) - set(GROUPS)
    if unknown:
        raise ConfigError(f"unknown group role(s) {sorted(unknown)}: expected some of {GROUPS}")
    if name in GROUPS:
        raise ConfigError(f"{name!r} is a group role (NOLOGIN); choose another log-in name")
    if not password:
        raise ConfigError(f"no password for log-in {name!r}")
    verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
    role = sql.Identifier(name)
    with conn.transaction():
        exists = conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = %s", (name,)).fetchone()
        if exists and exists[0]:
            raise ConfigError(f"{name!r} is a superuser: a gnbv log-in must not be; choose another name")
        verb = sql.SQL("alter role") if exists else sql.SQL("create role")
        conn.execute(sql.SQL("{} {} login password {}").format(verb, role, sql.Literal(verifier)))
        member_of = set(memberships(conn, name))
        for group in GROUPS:
            if group in wanted and group not in member_of:
                conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), role))
            elif group not in wanted and group in member_of:
                conn.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(group), role))
        if runs_dbt:
            conn.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema marts grant select on tables to gnbv_bi"
                ).format(role)
            )


def memberships(conn: psycopg.Connection, name: str) -> list[str]:
    """The roles ``name`` is a direct member of, sorted."""
    rows = conn.execute(
        "select g.rolname from pg_catalog.pg_auth_members m"
        " join pg_catalog.pg_roles g on g.oid = m.roleid"
        " join pg_catalog.pg_roles u on u.oid = m.member where u.rolname = %s order by 1",
        (name,),
    ).fetchall()
    return [r[0] for r in rows]
