"""Forward-only SQL migrations: ``gnbv/migrations/sql/V<NNN>__<name>.sql``.

* applied in version order, each in its own transaction, recorded in
  ``meta.schema_migrations(version, name, checksum, applied_at)``;
* serialised across processes with ``pg_advisory_xact_lock`` (concurrent callers wait,
  then skip what the other applied);
* an applied migration whose file changed (sha256 of its text, LF line endings) is
  refused: changes go into a new migration.

Migration files run as one multi-statement query inside a transaction, so they must not
contain ``BEGIN``/``COMMIT`` or statements that cannot run in a transaction block
(e.g. ``CREATE INDEX CONCURRENTLY``). A ``%`` needs no escaping (no parameters are bound).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from gnbv.warehouse import WarehouseError

MIGRATION_FILE = re.compile(r"^V(\d{3,})__([a-z0-9][a-z0-9_]*)\.sql$")
# pg_advisory_xact_lock key: first 8 bytes of sha256("gnbv.migrate"), as a signed bigint.
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"gnbv.migrate").digest()[:8], "big", signed=True)

_BOOTSTRAP = b"""
create schema if not exists meta;
create table if not exists meta.schema_migrations (
    version    integer primary key,
    name       text not null,
    checksum   text not null,
    applied_at timestamptz not null default now()
);
"""


class MigrationError(WarehouseError):
    """A migration cannot be applied; the message says what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    filename: str
    sql: str
    checksum: str

    @property
    def id(self) -> str:
        """e.g. ``'V002__raw'``."""
        return self.filename.removesuffix(".sql")


def _default_source() -> Traversable:
    return resources.files("gnbv.migrations") / "sql"


def discover(directory: Path | Traversable | None = None) -> list[Migration]:
    """The migrations shipped with gnbv (or found in ``directory``), in version order."""
    source = directory if directory is not None else _default_source()
    found: dict[int, Migration] = {}
    for entry in source.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = MIGRATION_FILE.match(entry.name)
        if match is None:
            raise MigrationError(
                f"Badly named migration file {entry.name!r}: name it V<NNN>__<name>.sql, "
                "e.g. V002__raw_tables.sql (lower-case name, digits and underscores)."
            )
        text = entry.read_text(encoding="utf-8").replace("\r\n", "\n")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"Two migrations share version {version}: {found[version].filename} and "
                f"{entry.name}. Renumber one of them."
            )
        found[version] = Migration(
            version=version,
            name=match.group(2),
            filename=entry.name,
            sql=text,
            checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
    return [found[v] for v in sorted(found)]


def _lock(conn: Any) -> None:
    conn.execute("select pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))


def _applied(conn: Any) -> dict[int, tuple[str, str]]:
    rows = conn.execute("select version, name, checksum from meta.schema_migrations").fetchall()
    return {int(v): (str(n), str(c)) for v, n, c in rows}


def _verify(applied: dict[int, tuple[str, str]], migrations: list[Migration]) -> None:
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in sorted(applied.items()):
        m = by_version.get(version)
        if m is None:
            raise MigrationError(
                f"The database has migration V{version:03d}__{name} applied, but this gnbv has "
                "no such file: the database is newer than this code. Update gnbv "
                "(git pull / uv sync), or use another database."
            )
        if m.checksum != checksum:
            raise MigrationError(
                f"Migration {m.filename} was changed after it was applied to this database "
                f"(checksum {checksum[:12]}… recorded, {m.checksum[:12]}… now). Revert the "
                "file and put the change in a new migration "
                f"V{max(by_version) + 1:03d}__<name>.sql."
            )


def _check_idle(conn: Any) -> None:
    from psycopg import pq

    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise MigrationError(
            "apply_migrations() needs a connection outside any transaction: commit or roll back first."
        )


def pending_migrations(conn: Any, directory: Path | Traversable | None = None) -> list[str]:
    """Ids of the migrations not yet applied (read-only; verifies checksums too)."""
    _check_idle(conn)
    migrations = discover(directory)
    with conn.transaction():
        exists = conn.execute("select to_regclass('meta.schema_migrations')").fetchone()[0]
        applied = _applied(conn) if exists is not None else {}
    _verify(applied, migrations)
    return [m.id for m in migrations if m.version not in applied]


def _applied_if_readable(conn: Any) -> dict[int, tuple[str, str]] | None:
    """The applied migrations, or None when the table is not there (or not readable) yet."""
    import psycopg

    try:
        with conn.transaction():
            exists = conn.execute("select to_regclass('meta.schema_migrations') is not null").fetchone()
            return _applied(conn) if exists and exists[0] else None
    except psycopg.Error:
        return None


def apply_migrations(conn: Any, directory: Path | Traversable | None = None) -> list[str]:
    """Apply every migration not yet applied; return the ids applied now, in order
    (empty when the database is up to date).

    ``conn`` is a psycopg 3 connection, idle (autocommit or not). Raises
    :class:`MigrationError` (nothing of the failing migration is kept).
    """
    import psycopg

    _check_idle(conn)
    migrations = discover(directory)
    up_to_date = _applied_if_readable(conn)
    if up_to_date is not None and {m.version for m in migrations} <= set(up_to_date):
        # Nothing to do: verify without the bootstrap, which needs CREATE on the database and
        # so would lock out the least-privilege logins (loader, transformer).
        _verify(up_to_date, migrations)
        return []
    try:
        with conn.transaction():
            _lock(conn)
            conn.execute(_BOOTSTRAP)
            applied = _applied(conn)
    except psycopg.Error as err:
        raise MigrationError(
            f"Cannot prepare the migration table meta.schema_migrations: {str(err).strip()}\n"
            "The database user needs the right to create schema `meta` in this database."
        ) from None
    _verify(applied, migrations)

    done: list[str] = []
    for m in migrations:
        if m.version in applied:
            continue
        with conn.transaction():
            _lock(conn)
            row = conn.execute(
                "select checksum from meta.schema_migrations where version = %s",
                (m.version,),
            ).fetchone()
            if row is not None:  # applied meanwhile by another process
                _verify({m.version: (m.name, str(row[0]))}, migrations)
                continue
            try:
                conn.execute(m.sql.encode("utf-8"))
            except psycopg.Error as err:
                raise MigrationError(
                    f"Migration {m.filename} failed and was rolled back: "
                    f"{type(err).__name__}: {str(err).strip()}\nFix the file and run again."
                ) from None
            conn.execute(
                "insert into meta.schema_migrations (version, name, checksum) values (%s, %s, %s)",
                (m.version, m.name, m.checksum),
            )
        done.append(m.id)
    if done:
        # A migration's plain SET (search_path, role, ...) outlives its transaction.
        with conn.transaction():
            conn.execute("reset all")
    return done
