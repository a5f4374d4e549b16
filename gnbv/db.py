"""Connections to the warehouse (``GNBV_DATABASE_URL`` or the embedded server)."""

from __future__ import annotations

import re
import threading
from typing import Any

import psycopg

from gnbv import settings
from gnbv.migrate import apply_migrations
from gnbv.warehouse import WarehouseError

APPLICATION_NAME = "gnbv"

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    url = re.sub(r"(://[^:/@?]*:)[^@/?]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url)


def _connect_hint(url: str, err: Exception) -> str:
    detail = str(err).strip()
    if settings.external_database_url() is not None:
        return (
            f"Cannot connect to GNBV_DATABASE_URL ({redact(url)}): {detail}\n"
            "Check the URL and that the server is up, or unset GNBV_DATABASE_URL to use the "
            "embedded warehouse."
        )
    return (
        f"Cannot connect to the embedded warehouse ({url}): {detail}\n"
        "Try `gnbv warehouse stop` then `gnbv warehouse start`, and see `gnbv warehouse status` "
        "for the server log."
    )


def ensure_migrated(conn: psycopg.Connection[Any], url: str) -> list[str]:
    """Apply pending migrations through ``conn`` once per process and database URL."""
    with _migrate_lock:
        if url in _migrated:
            return []
        applied = apply_migrations(conn)
        _migrated.add(url)
        return applied


def connect(*, autocommit: bool = False, migrate: bool = True, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg 3 connection to the warehouse in force (``settings.database_url()``,
    which starts the embedded server if needed), with ``application_name='gnbv'``.

    Pending migrations are applied on the first call per process (``migrate=False``
    skips that). Extra keyword arguments go to :func:`psycopg.connect` (e.g.
    ``row_factory``). Raises :class:`WarehouseError` with an actionable message.
    """
    url = settings.database_url()
    kwargs.setdefault("application_name", APPLICATION_NAME)
    kwargs.setdefault("connect_timeout", 10)
    try:
        conn: psycopg.Connection[Any] = psycopg.connect(url, autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as err:
        raise WarehouseError(_connect_hint(url, err)) from None
    if migrate:
        try:
            ensure_migrated(conn, url)
        except BaseException:
            conn.close()
            raise
    return conn


def _forget_migrations() -> None:
    """Testing aid: make the next connect() check migrations again."""
    with _migrate_lock:
        _migrated.clear()


# pg_class.relkind of what a schema's readers read: ordinary and partitioned tables, views.
TABLES_AND_VIEWS = ("r", "p", "v")


def relations_in(conn: psycopg.Connection[Any], schema: str, kinds: tuple[str, ...] = TABLES_AND_VIEWS) -> set[str]:
    """The names of the relations of these kinds (``pg_class.relkind``) in ``schema``."""
    rows = conn.execute(
        "select c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind::text = any(%s)",
        (schema, list(kinds)),
    ).fetchall()
    return {r[0] for r in rows}
