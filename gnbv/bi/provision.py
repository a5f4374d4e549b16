"""The warehouse side of BI, and the dashboards brought into Superset from the repo.

- :func:`rotate_login` creates (or gives a new password to) a log-in that is a member of
  ``gnbv_bi`` and of nothing else, read-only in every session: ``gnbv bi login`` for people
  and other tools, and :data:`SUPERSET_LOGIN` for Superset itself.
- :func:`provision` points Superset's database at the warehouse over TCP as
  :data:`SUPERSET_LOGIN` (a fresh password each time: no copy of it rests anywhere but in
  Superset's encrypted metadata) and imports deploy/superset/assets/ -- the dashboards whose
  marts exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from gnbv import settings
from gnbv.bi import superset
from gnbv.bi.assets import ASSETS_DIR, MARTS_SCHEMA, Bundle, normalise_export, write_folder
from gnbv.bi.superset import BiError, Echo, SupersetPaths
from gnbv.logins import GROUPS, ensure_login, generate_password, memberships

BI_GROUP = "gnbv_bi"
DEFAULT_LOGIN = "gnbv_bi_reader"
SUPERSET_LOGIN = "gnbv_bi_superset"
# A runaway dashboard query stops; a leaked password opens few sessions.
STATEMENT_TIMEOUT = "120s"
CONNECTION_LIMIT = 10
_POWERS = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


@dataclass(frozen=True)
class WarehouseTarget:
    """Where BI clients reach the warehouse over TCP."""

    host: str
    port: int
    dbname: str

    def sqlalchemy_uri(self, user: str) -> str:
        """Superset's URI, its password masked the way its import expects it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"postgresql+psycopg2://{quote(user, safe='')}:XXXXXXXXXX@{host}:{self.port}/{quote(self.dbname)}"

    def url(self, user: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"postgresql://{quote(user, safe='')}@{host}:{self.port}/{quote(self.dbname)}"


def warehouse_target() -> WarehouseTarget:
    """The warehouse in force, as a TCP address: GNBV_DATABASE_URL's host, or the embedded
    warehouse's TCP listener (which must have been asked for)."""
    from gnbv import warehouse

    external = settings.external_database_url()
    url = external or warehouse.start()
    params = warehouse.connection_params(url)
    if external is None:
        address = warehouse.tcp_address()
        if address is None:
            raise BiError(
                "The embedded warehouse listens on its Unix socket only, which BI tools cannot use: "
                "let it listen on TCP (password logins only) with "
                "`gnbv warehouse start --listen 127.0.0.1:5433`, then retry."
            )
        return WarehouseTarget(address.client_host, address.port, params["dbname"])
    if str(params["host"]).startswith("/"):
        raise BiError(
            "GNBV_DATABASE_URL reaches the warehouse through a Unix socket, which Superset cannot use: "
            "give it a host name or address."
        )
    return WarehouseTarget(str(params["host"]), int(params["port"]), params["dbname"])


def rotate_login(conn: psycopg.Connection, name: str = DEFAULT_LOGIN) -> str:
    """Create log-in ``name`` (or give it a new password): member of gnbv_bi only, with no other
    power, every session read-only, a statement timeout and a connection limit. Returns the new
    password (shown once by the caller, stored nowhere here). Commits."""
    if name in GROUPS:
        raise BiError(f"{name!r} is a group role; choose a log-in name, e.g. {DEFAULT_LOGIN}")
    row = conn.execute(
        sql.SQL("select {} from pg_catalog.pg_roles where rolname = %s").format(
            sql.SQL(", ").join(map(sql.Identifier, _POWERS))
        ),
        (name,),
    ).fetchone()
    if row is not None:
        powers = [power for power, held in zip(_POWERS, row, strict=True) if held]
        others = [group for group in memberships(conn, name) if group != BI_GROUP]
        if powers or others:
            raise BiError(
                f"Role {name!r} exists with more than BI needs ({', '.join(powers + others)}): "
                "it is left as it is. Choose another log-in name (`--name`)."
            )
    password = generate_password()
    ensure_login(conn, name, password, [BI_GROUP])
    role = sql.Identifier(name)
    with conn.transaction():
        conn.execute(sql.SQL("alter role {} connection limit {}").format(role, sql.Literal(CONNECTION_LIMIT)))
        for setting, value in (
            ("default_transaction_read_only", "on"),
            ("statement_timeout", STATEMENT_TIMEOUT),
            ("search_path", MARTS_SCHEMA),
        ):
            conn.execute(sql.SQL("alter role {} set {} = {}").format(role, sql.Identifier(setting), sql.Literal(value)))
    conn.commit()
    return password


def existing_marts(conn: psycopg.Connection) -> set[str]:
    """The marts a dashboard can read: tables, views and materialized views (relkind ``m``)."""
    from gnbv.db import TABLES_AND_VIEWS, relations_in

    return relations_in(conn, MARTS_SCHEMA, (*TABLES_AND_VIEWS, "m"))


@dataclass
class Provisioned:
    url: str
    dashboards: dict[str, str] = field(default_factory=dict)  # title -> URL
    waiting: dict[str, set[str]] = field(default_factory=dict)  # title -> marts not built yet


def provision(paths: SupersetPaths, server: superset.Server, *, bundle: Bundle | None = None) -> Provisioned:
    """Point Superset at the warehouse through a fresh password of :data:`SUPERSET_LOGIN` and
    import the dashboards whose marts exist (all of ``bundle``, the repo's by default)."""
    from gnbv import db
    from gnbv.bi.api import SupersetApi

    bundle = bundle or Bundle.load()
    target = warehouse_target()
    with db.connect() as conn:
        password = rotate_login(conn, SUPERSET_LOGIN)
        present = existing_marts(conn)
    ready, waiting = bundle.without_missing_marts(present)
    with SupersetApi(server.url) as api:
        api.login(superset.ADMIN_USER, superset.admin_password(paths))
        api.import_assets(
            ready.to_zip(target.sqlalchemy_uri(SUPERSET_LOGIN)),
            passwords={path: password for path in ready.databases},
        )
        slugs = {str(d["uuid"]): d.get("slug") for d in ready.dashboards.values()}
        found = api.list_all("dashboard", ("id", "uuid", "dashboard_title", "slug"))
    result = Provisioned(url=server.url, waiting=waiting)
    for row in found:
        if str(row.get("uuid")) in slugs:
            result.dashboards[row["dashboard_title"]] = f"{server.url}/superset/dashboard/{row['slug'] or row['id']}/"
    return result


def start_and_provision(
    paths: SupersetPaths, *, host: str = superset.DEFAULT_HOST, port: int = superset.DEFAULT_PORT, echo: Echo = print
) -> Provisioned:
    """Everything ``gnbv bi start`` does: check the warehouse can be reached (before minutes of
    installing), install and start Superset, provision the dashboards."""
    warehouse_target()
    server = superset.start(paths, host=host, port=port, echo=echo)
    return provision(paths, server)


def export_dashboards(paths: SupersetPaths, server: superset.Server, folder: Path = ASSETS_DIR) -> list[Path]:
    """Write every dashboard of the running Superset (with its charts, datasets and database)
    into ``folder`` as the repo keeps them: what an analyst changed in Superset's UI becomes a
    diff to review and commit. Returns the files written."""
    from gnbv.bi.api import SupersetApi

    with SupersetApi(server.url) as api:
        api.login(superset.ADMIN_USER, superset.admin_password(paths))
        ids = [row["id"] for row in api.list_all("dashboard", ("id",))]
        if not ids:
            raise BiError("Superset has no dashboard to export.")
        files = normalise_export(api.export_dashboards(ids))
    Bundle.from_texts(files)  # what is written must load back
    return write_folder(files, folder)
