"""The benchmark's own database, ``gnbv_bench``, on the server in force.

Created (dropped first if a previous run left it), migrated like any warehouse, and dropped at
the end (``keep=True`` leaves it for inspection). While it exists, ``GNBV_DATABASE_URL`` points
at it, so every child process and in-process dbt build of the benchmark uses it, never the
user's warehouse.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

BENCH_DATABASE = "gnbv_bench"
RAW_TABLES = ("submission_problems", "outcome_values", "fund_amounts", "submissions")  # schema raw


def with_database(url: str, name: str) -> str:
    """The same server URL naming another database (path, or a ``dbname=`` query parameter)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "dbname" for key, _ in query):
        query = [(key, name if key == "dbname" else value) for key, value in query]
        return urlunsplit(parts._replace(query=urlencode(query)))
    return urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key == "dbname":
            return value
    return parts.path.lstrip("/") or "postgres"


def sqlalchemy_url(url: str) -> str:
    """A libpq URL as SQLAlchemy's psycopg 3 dialect wants it."""
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def truncate_raw(conn: psycopg.Connection) -> None:
    """Empty raw: the four tables in one statement (raw.submissions may not be truncated while a
    table that refers to it has rows, and CASCADE does not reach them: V009 checks that link with
    triggers, not foreign keys)."""
    from psycopg import sql

    tables = sql.SQL(", ").join(sql.Identifier("raw", table) for table in RAW_TABLES)
    conn.execute(sql.SQL("truncate {} restart identity cascade").format(tables))
    conn.commit()


@contextmanager
def throwaway_database(server_url: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """A new, empty database ``name`` on the server of ``server_url`` (dropped first if a previous
    run left it): its URL. Dropped afterwards, unless ``keep``."""
    import psycopg
    from psycopg import sql

    database = sql.Identifier(name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(database))
        admin.execute(sql.SQL("create database {}").format(database))
    try:
        yield with_database(server_url, name)
    finally:
        if not keep:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(database))


@contextmanager
def bench_database(*, keep: bool = False, name: str = BENCH_DATABASE) -> Iterator[str]:
    """Create, migrate and yield the URL of the benchmark database; drop it afterwards."""
    from gnbv import db, settings

    base = settings.database_url()
    if database_name(base) == name:
        raise RuntimeError(f"the warehouse in force is itself named {name!r}: the benchmark would drop it")
    with throwaway_database(base, name, keep=keep) as url:
        previous = os.environ.get(settings.ENV_DATABASE_URL)
        os.environ[settings.ENV_DATABASE_URL] = url
        try:
            with db.connect() as conn:  # applies the migrations
                conn.execute("select 1")
            yield url
        finally:
            if previous is None:
                os.environ.pop(settings.ENV_DATABASE_URL, None)
            else:
                os.environ[settings.ENV_DATABASE_URL] = previous
