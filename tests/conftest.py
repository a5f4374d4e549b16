"""Shared fixtures: one real PostgreSQL database for the whole session.

By default the project's embedded PostgreSQL (started from the pip wheel) hosts a throw-away
database ``gnbv_test_<pid>``; set GNBV_TEST_DATABASE_URL to run against another server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from gnbv.reference import Reference, load_reference
from tests.synthetic_raw import empty_raw


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    base = os.environ.get("GNBV_TEST_DATABASE_URL")
    if not base:
        from gnbv import warehouse

        base = warehouse.start()
    name = f"gnbv_test_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}"')
        admin.execute(f'create database "{name}"')
    url = _with_database(base, name)
    previous = os.environ.get("GNBV_DATABASE_URL")
    os.environ["GNBV_DATABASE_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("GNBV_DATABASE_URL", None)
    else:
        os.environ["GNBV_DATABASE_URL"] = previous
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """A migrated connection to an empty raw layer."""
    from gnbv import db

    with db.connect() as connection:
        empty_raw(connection)
        connection.commit()
        yield connection


@pytest.fixture(scope="session")
def reference() -> Reference:
    return load_reference()
