"""A local Airflow for the project: its home, its metadata database, its connections.

``airflow_env()`` returns the environment variables the CLI (``gnbv airflow ...``), the demo and
the tests run Airflow with — nothing is written to a global ``airflow.cfg`` by hand:

``AIRFLOW_HOME``            ``.gnbv/airflow`` (``$GNBV_AIRFLOW_HOME`` to move it)
metadata                    SQLite ``<home>/airflow.db``, migrated once (``ensure_metadata_db``);
                            ``$GNBV_AIRFLOW_METADATA_URL`` (a PostgreSQL URL, e.g. a database on
                            the embedded server) where several processes write at once
DAGs                        the repository's ``dags/``, examples off, Vietnam time zone
executor                    LocalExecutor (``airflow standalone`` / ``dags test``)
UI                          ``http://127.0.0.1:8080`` (``$GNBV_AIRFLOW_PORT``); the simple auth
                            manager with everyone admin — for a laptop only, never a server
connections                 ``gnbv_warehouse`` (``AIRFLOW_CONN_GNBV_WAREHOUSE``) from the
                            warehouse URL in force; ``smtp_default`` from ``$GNBV_SMTP_URL``
cluster policy              ``<home>/config/airflow_local_settings.py`` imports
                            ``gnbv.orchestration.local_settings`` (owner, tags, doc_md)

Secrets Airflow needs between its processes (JWT, API secret key) are generated once into
``<home>/secrets.json`` (mode 600), never committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from gnbv import settings
from gnbv.orchestration.calendar import LOCAL_TZ

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DAGS_FOLDER = REPO_ROOT / "dags"
ENV_HOME = settings.AIRFLOW_HOME.name
ENV_METADATA_URL = settings.AIRFLOW_METADATA_URL.name
ENV_PORT = settings.AIRFLOW_PORT.name
ENV_SMTP_URL = settings.SMTP_URL.name
DEFAULT_PORT = 8080
WAREHOUSE_CONN_ID = "gnbv_warehouse"
SMTP_CONN_ID = "smtp_default"
LOCAL_SETTINGS_SHIM = (
    "# Written by gnbv.orchestration.airflow_env: the project's Airflow cluster policy.\n"
    "from gnbv.orchestration.local_settings import dag_policy  # noqa: F401\n"
)


def airflow_home() -> Path:
    override = settings.AIRFLOW_HOME.get()
    if override:
        return Path(override).expanduser().resolve()
    return settings.state_dir() / "airflow"


def airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def _secrets(home: Path) -> dict[str, str]:
    path = home / "secrets.json"
    home.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    values = {"jwt_secret": secrets.token_urlsafe(32), "api_secret_key": secrets.token_urlsafe(32)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
    return values


def warehouse_connection(url: str) -> str:
    """An Airflow connection (JSON form) for a PostgreSQL URL; a socket folder stays the host."""
    from gnbv.warehouse import connection_params

    params = connection_params(url)
    conn = {
        "conn_type": "postgres",
        "host": params["host"],
        "port": params["port"],
        "login": params["user"],
        "schema": params["dbname"],
    }
    if params.get("password"):
        conn["password"] = params["password"]
    return json.dumps(conn)


def warehouse_url_from_connection(conn: object) -> str:
    """The PostgreSQL URL of an Airflow connection built by ``warehouse_connection``."""
    from urllib.parse import quote

    host = str(getattr(conn, "host", "") or "localhost")
    port = int(getattr(conn, "port", None) or 5432)
    user = quote(str(getattr(conn, "login", "") or "postgres"), safe="")
    password = getattr(conn, "password", None)
    dbname = quote(str(getattr(conn, "schema", "") or "postgres"), safe="")
    auth = f"{user}:{quote(str(password), safe='')}" if password else user
    if host.startswith("/"):
        return f"postgresql://{auth}@/{dbname}?host={quote(host, safe='/')}&port={port}"
    return f"postgresql://{auth}@{host}:{port}/{dbname}"


def smtp_connection(url: str) -> str:
    """An Airflow SMTP connection (JSON form) for ``smtp://user:pw@host:port?from_email=..``
    (``smtps://`` for SSL; ``starttls=true`` to upgrade a plain connection)."""
    from gnbv.mail import SmtpSettings

    return SmtpSettings.from_url(url).to_airflow_connection()


def airflow_env(
    *,
    home: Path | None = None,
    warehouse_url: str | None = None,
    smtp_url: str | None = None,
    port: int | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables to run the project's Airflow with (merge them over ``os.environ``).

    ``warehouse_url`` defaults to the warehouse in force (``GNBV_DATABASE_URL``, else the
    embedded server, which this starts); ``smtp_url`` to ``$GNBV_SMTP_URL``.
    """
    base = os.environ if base is None else base
    home = home or airflow_home()
    port = port or int(base.get(ENV_PORT, "") or DEFAULT_PORT)
    if warehouse_url is None:
        warehouse_url = settings.database_url()
    smtp_url = smtp_url if smtp_url is not None else base.get(ENV_SMTP_URL, "")
    secret = _secrets(home)
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), base.get("PYTHONPATH", "")) if p)
    # `airflow standalone` starts its components as `airflow ...` found on PATH: the venv's first
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join([bin_dir, *(p for p in base.get("PATH", "").split(os.pathsep) if p and p != bin_dir)])
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": str(LOCAL_TZ),
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url(home, base),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__SECRET_KEY": secret["api_secret_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": secret["jwt_secret"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "SCARF_NO_ANALYTICS": "true",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "False",
        "PYTHONPATH": python_path,
        "PATH": path,
        settings.DATABASE_URL.name: warehouse_url,
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_connection(warehouse_url),
    }
    if smtp_url:
        env[f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}"] = smtp_connection(smtp_url)
    return env


def metadata_url(home: Path, base: Mapping[str, str]) -> str:
    """SQLAlchemy URL of Airflow's metadata: ``$GNBV_AIRFLOW_METADATA_URL`` (PostgreSQL, through
    psycopg2 as Airflow expects), else SQLite in the home."""
    override = base.get(ENV_METADATA_URL, "").strip()
    if not override:
        return f"sqlite:///{home / 'airflow.db'}"
    scheme, rest = override.split("://", 1)
    if scheme not in {"postgresql", "postgres"}:
        raise ValueError(f"{ENV_METADATA_URL} must be a postgresql:// URL, not {scheme}://")
    return "postgresql+psycopg2://" + rest


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_local_settings(home: Path) -> Path:
    path = home / "config" / "airflow_local_settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != LOCAL_SETTINGS_SHIM:
        path.write_text(LOCAL_SETTINGS_SHIM, encoding="utf-8")
    return path


def _airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def _migrate(env: Mapping[str, str]) -> None:
    proc = subprocess.run(
        [_airflow_bin(), "db", "migrate"], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"`airflow db migrate` failed:\n{tail}")


def ensure_metadata_db(env: Mapping[str, str], *, template: Path | None = None) -> float:
    """Create Airflow's metadata database once (``airflow db migrate``) and reuse it; returns the
    seconds spent (0 when it was there already). With ``template`` (a folder), a migrated copy
    kept there per Airflow version seeds new homes in milliseconds (the tests use this)."""
    home = Path(env["AIRFLOW_HOME"])
    write_local_settings(home)
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    on_sqlite = metadata.startswith("sqlite:")
    db_path = home / "airflow.db"
    stamp = home / "airflow.db.version"
    # the stamp names the database too: a home moved to PostgreSQL migrates that database once
    version = airflow_version() if on_sqlite else f"{airflow_version()} {metadata}"
    with _locked(home / ".migrate.lock"):
        current = stamp.exists() and stamp.read_text().strip() == version
        if current and (db_path.exists() or not on_sqlite):
            return 0.0
        started = time.perf_counter()
        if template is not None and on_sqlite:
            cached = template / version / "airflow.db"
            with _locked(template / ".lock"):
                if not cached.exists():
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    tmp_env = {
                        **env,
                        "AIRFLOW_HOME": str(cached.parent),
                        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{cached}",
                    }
                    _migrate(tmp_env)
            shutil.copyfile(cached, db_path)
        else:
            _migrate(env)
        stamp.write_text(version + "\n")
        return time.perf_counter() - started


def apply(env: Mapping[str, str]) -> None:
    """Put ``env`` into this process's environment (before Airflow is first imported)."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") not in (None, env.get("AIRFLOW_HOME")):
        raise RuntimeError("Airflow was already imported with another AIRFLOW_HOME in this process")
    os.environ.update(env)


def shell_exports(env: Mapping[str, str]) -> str:
    """``export NAME='value'`` lines for ``eval "$(gnbv airflow env)"``."""
    import shlex

    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items()))
