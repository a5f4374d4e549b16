"""Prepare the warehouse database of a deployment: apply the migrations, then create (or update)
the log-in users and make them members of the group roles of V003__roles.sql.

Run by the ``airflow-init`` service of docker-compose.yml at every ``docker compose up`` (it is
idempotent: passwords are set again, so rotating one is: change it in .env, ``up`` again).

Environment
-----------
``GNBV_ADMIN_DATABASE_URL``   the warehouse as its owner (a superuser, or the database owner with
                              CREATEROLE on managed PostgreSQL): runs migrations and creates roles
``GNBV_AIRFLOW_DB_USER``      log-in of the Airflow tasks (default ``gnbv_airflow``): member of
``GNBV_AIRFLOW_DB_PASSWORD``  gnbv_loader (intake) and gnbv_transformer (dbt); skipped when unset
``GNBV_BI_DB_USER``           log-in of the BI tools (default ``gnbv_bi_reader``): member of
``GNBV_BI_DB_PASSWORD``       gnbv_bi only; skipped when unset
``GNBV_PORTAL_DB_USER``       log-in of the submission portal (default ``gnbv_portal_app``): member
``GNBV_PORTAL_DB_PASSWORD``   of gnbv_portal only; skipped when unset

Passwords are hashed on this side (SCRAM-SHA-256; gnbv/logins.py, shared with ``gnbv bi login``)
so the clear text never reaches the server or its statement log.

Usage: ``python deploy/scripts/init_warehouse.py`` (exit 0 when done, 2 on a configuration error).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import psycopg

from gnbv.logins import ConfigError, ensure_login

# Which groups each deployment log-in belongs to (and nothing else of the gnbv groups).
AIRFLOW_GROUPS = ("gnbv_loader", "gnbv_transformer")
BI_GROUPS = ("gnbv_bi",)
PORTAL_GROUPS = ("gnbv_portal",)
DEFAULT_PORTAL_USER = "gnbv_portal_app"
DEFAULT_AIRFLOW_USER = "gnbv_airflow"
DEFAULT_BI_USER = "gnbv_bi_reader"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def init_warehouse(admin_url: str, *, echo=print) -> list[str]:  # type: ignore[no-untyped-def]
    """Migrations, log-ins, ownership of dbt's objects; returns the migrations applied now."""
    from gnbv.migrate import apply_migrations

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10, application_name="gnbv-init") as conn:
        applied = apply_migrations(conn)
        echo(f"migrations applied now: {', '.join(applied) or 'none (up to date)'}")
        logins = [
            ("GNBV_AIRFLOW_DB", DEFAULT_AIRFLOW_USER, AIRFLOW_GROUPS, True),
            ("GNBV_BI_DB", DEFAULT_BI_USER, BI_GROUPS, False),
            ("GNBV_PORTAL_DB", DEFAULT_PORTAL_USER, PORTAL_GROUPS, False),
        ]
        for prefix, default_user, groups, runs_dbt in logins:
            user, password = _env(f"{prefix}_USER", default_user), _env(f"{prefix}_PASSWORD")
            if not password:
                echo(f"{prefix}_PASSWORD not set: log-in {user} left as it is")
                continue
            ensure_login(conn, user, password, groups, runs_dbt=runs_dbt)
            echo(f"log-in {user}: member of {', '.join(groups)}")
        moved = conn.execute("select meta.hand_dbt_objects_to_transformer()").fetchone()
        echo(f"objects handed to gnbv_transformer: {moved[0] if moved else 0}")
    return applied


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    admin_url = _env("GNBV_ADMIN_DATABASE_URL")
    if not admin_url:
        print("GNBV_ADMIN_DATABASE_URL is not set (the warehouse URL of its owner)", file=sys.stderr)
        return 2
    try:
        init_warehouse(admin_url)
    except ConfigError as err:
        print(f"init_warehouse: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
