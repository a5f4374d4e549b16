"""The published marts: built aside, published whole, and what they are as of.

Readers (BI tools, the report, the consolidation gate) read schema ``marts``. dbt never writes
there: it builds the marts into ``marts_next`` (dbt var ``marts_schema``, see
``dbt_project/macros/generate_schema_name.sql``), where a build that fails a test or is killed
leaves nothing a reader sees. ``publish()`` then moves every table the build made into
``marts`` in one transaction, and the table each replaces into ``marts_next``: a reader's query
sees the previous marts or the new ones, never a mix. The replaced tables are the next build's
starting point: the incremental facts there are one build behind, and an incremental build
catches up with raw from wherever its table stands (it compares versions per unit-month), so
nothing is copied.

The report models (dbt_project/models/reports/) are views over the marts tables, published with
them: a view is bound to the tables it read when dbt made it, not to their names, so a view made
in ``marts_next`` over the new tables reads them in ``marts`` once both are moved. They read
marts tables only, which dbt rebuilds in ``marts_next``: a view over a layer rebuilt in place
(staging, intermediate, the seeds) would be dropped with it, live.

``status()`` tells what the published marts are as of (``marts.mart_as_of``) and how many files
landed in raw since they were built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from gnbv.dates import LOCAL_TZ
from gnbv.db import relations_in

LIVE = "marts"
SHADOW = "marts_next"
SWAP = "marts_swap"
SCHEMA_VAR = "marts_schema"  # the dbt var generate_schema_name reads
BI_ROLE = "gnbv_bi"
# A reader's transaction holds its tables until it ends; publishing waits for it, not forever.
LOCK_TIMEOUT = "120s"


def build_vars() -> dict[str, str]:
    """The dbt vars that send the marts into the shadow schema."""
    return {SCHEMA_VAR: SHADOW}


class PublishError(RuntimeError):
    """The build cannot be published (the marts stay as they were)."""


def publish(conn: psycopg.Connection[Any], tables: Iterable[str]) -> list[str]:
    """Move ``tables`` (marts models built in ``marts_next``, tables and views) into ``marts`` in
    one transaction, the ones they replace into ``marts_next``; readable by the BI role. The
    relations moved."""
    names = sorted(set(tables))
    if not names:
        return []
    with conn.transaction():
        conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
        built = relations_in(conn, SHADOW)
        missing = [n for n in names if n not in built]
        if missing:
            raise PublishError(f"not built in {SHADOW}: {', '.join(missing)}; the marts are unchanged")
        live = relations_in(conn, LIVE)
        for name in names:
            # SET SCHEMA moves the table's indexes, constraints and grants with it; three steps
            # because a schema cannot hold two tables (or indexes) of one name
            if name in live:
                conn.execute(_move(LIVE, name, SWAP))
            conn.execute(_move(SHADOW, name, LIVE))
            if name in live:
                conn.execute(_move(SWAP, name, SHADOW))
            conn.execute(
                sql.SQL("grant select on {} to {}").format(sql.Identifier(LIVE, name), sql.Identifier(BI_ROLE))
            )
        stale = _views_reading(conn, LIVE, SHADOW)
        if stale:
            raise PublishError(
                f"views in {LIVE} would read tables left in {SHADOW} (build them with their tables): "
                f"{', '.join(stale)}; the marts are unchanged"
            )
    return names


def _views_reading(conn: psycopg.Connection[Any], schema: str, other: str) -> list[str]:
    """Views in ``schema`` that read a relation in ``other`` (a view is bound to the tables it
    read when it was made, not to their names: published without them, it would read old ones)."""
    rows = conn.execute(
        "select distinct view.relname || ' -> ' || read.relname"
        " from pg_catalog.pg_depend as dep"
        " join pg_catalog.pg_rewrite as rule on rule.oid = dep.objid"
        " join pg_catalog.pg_class as view on view.oid = rule.ev_class"
        " join pg_catalog.pg_namespace as view_ns on view_ns.oid = view.relnamespace"
        " join pg_catalog.pg_class as read on read.oid = dep.refobjid"
        " join pg_catalog.pg_namespace as read_ns on read_ns.oid = read.relnamespace"
        " where dep.classid = 'pg_catalog.pg_rewrite'::regclass and dep.refclassid = 'pg_catalog.pg_class'::regclass"
        " and view_ns.nspname = %s and read_ns.nspname = %s order by 1",
        (schema, other),
    ).fetchall()
    return [r[0] for r in rows]


def _move(schema: str, table: str, to: str) -> sql.Composed:
    return sql.SQL("alter table {} set schema {}").format(sql.Identifier(schema, table), sql.Identifier(to))


PUBLISHED_LAYERS = ("marts", "reports")  # dbt_project/models/<layer>/: built in marts_next


def marts_models(manifest: dict[str, Any]) -> list[str]:
    """The names of the project's marts models and of the report models over them (tables and
    views published together), from a manifest."""
    return sorted(
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and (node.get("fqn") or [None, None])[1] in PUBLISHED_LAYERS
    )


# --------------------------------------------------------------------------- as of


@dataclass(frozen=True)
class MartsStatus:
    """What the published marts are as of, and what raw holds that they do not."""

    as_of_date: dt.date
    built_at: dt.datetime
    submissions: int
    landed_since: int  # files in raw the marts do not hold (landed after the build)
    gone_since: int  # files the marts hold that raw no longer has

    @property
    def stale(self) -> bool:
        return bool(self.landed_since or self.gone_since)

    def line(self) -> str:
        built = self.built_at.astimezone(LOCAL_TZ)
        head = f"marts as of {self.as_of_date:%Y-%m-%d} (built {built:%Y-%m-%d %H:%M})"
        if not self.stale:
            return f"{head}: up to date with raw ({self.submissions} files)"
        changes = ", ".join(
            part
            for part in (
                f"{self.landed_since} file(s) landed since" if self.landed_since else "",
                f"{self.gone_since} file(s) gone from raw" if self.gone_since else "",
            )
            if part
        )
        return f"{head}: OLDER THAN RAW, {changes} — run `gnbv build` (or `gnbv ingest --build`)"


class MartsUnreadable(Exception):
    """This login may not read the marts (intake's gnbv_loader reads raw only)."""


def status(conn: psycopg.Connection[Any]) -> MartsStatus | None:
    """The published marts' as-of and how far raw has moved on; None when no marts were built.
    Raises MartsUnreadable when this login may not read them."""
    try:
        with conn.transaction():
            row = conn.execute("select as_of_date, built_at, submissions from marts.mart_as_of limit 1").fetchone()
            if row is None:
                return None
            counts = conn.execute(
                "select"
                " (select count(*) from raw.submissions s"
                "   where not exists (select from marts.fct_submission f where f.submission_id = s.submission_id)),"
                " (select count(*) from marts.fct_submission f"
                "   where not exists (select from raw.submissions s where s.submission_id = f.submission_id))"
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    except psycopg.errors.InsufficientPrivilege as err:
        raise MartsUnreadable(str(err).splitlines()[0]) from None
    assert counts is not None
    return MartsStatus(row[0], row[1], int(row[2]), int(counts[0]), int(counts[1]))
