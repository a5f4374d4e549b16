"""Connections of the portal, acting as the database role gnbv_portal (V007__portal.sql).

``GNBV_PORTAL_DATABASE_URL``: a log-in that is a member of gnbv_portal (a deployment). Without
it, the warehouse in force (``gnbv.db``: GNBV_DATABASE_URL or the embedded one) is migrated and
each connection does ``SET ROLE gnbv_portal``, so the portal can do no more than that role even
when its URL could: write raw submissions, keep its own records, read what it shows.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from psycopg import sql

from gnbv import settings

ENV_PORTAL_DATABASE_URL = settings.PORTAL_DATABASE_URL.name
ROLE = "gnbv_portal"


def connect() -> psycopg.Connection[Any]:
    from gnbv import db

    url = os.environ.get(ENV_PORTAL_DATABASE_URL, "").strip()
    if url:
        conn: psycopg.Connection[Any] = psycopg.connect(url, application_name="gnbv-portal", connect_timeout=10)
    else:
        conn = db.connect(application_name="gnbv-portal")
    conn.execute(sql.SQL("set role {}").format(sql.Identifier(ROLE)))
    conn.commit()
    return conn


def owner_connect() -> psycopg.Connection[Any]:
    """The warehouse owner's connection (``gnbv users``: accounts are made by an administrator)."""
    from gnbv import db

    return db.connect()
