"""Project settings: every ``GNBV_*`` environment variable, named once here with its meaning
(``SETTINGS``), and where the project lives, where local state goes, which database to use.

Modules read a setting through its entry (``settings.INBOX.get()``), never by spelling its name:
tests/test_settings.py checks that no ``GNBV_*`` name appears in the code that is not declared
here. An empty value counts as unset.

Kept dependency-light on purpose: importing this module only touches the standard
library. The embedded warehouse is imported (and started) only when
:func:`database_url` actually needs it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_NAME = "gnbv-warehouse"
STATE_DIR_NAME = ".gnbv"


@dataclass(frozen=True)
class Setting:
    """One ``GNBV_*`` environment variable and what it means."""

    name: str
    meaning: str

    def get(self, default: str = "") -> str:
        """The value, stripped; ``default`` when unset or empty."""
        return os.environ.get(self.name, "").strip() or default


# --- where things are
HOME = Setting(
    "GNBV_HOME",
    "project root; default: the nearest folder upwards from the current directory (then from this"
    " package) holding the project's pyproject.toml",
)
DATABASE_URL = Setting(
    "GNBV_DATABASE_URL",
    "the warehouse, any postgresql:// URL; unset: the embedded warehouse under .gnbv/warehouse (started when needed)",
)
DBT_PROJECT_DIR = Setting("GNBV_DBT_PROJECT_DIR", "the dbt project folder; default: dbt_project/ of the project")
DBT_PASSWORD = Setting(
    "GNBV_DBT_PASSWORD",
    "set by gnbv.dbt for the length of a dbt call: the warehouse password dbt's profile reads (env_var)",
)
GSO_REGISTER = Setting(
    "GNBV_GSO_REGISTER",
    "the GSO register JSON the national samples are drawn from; default: ../shared/reference/",
)
# --- intake
INBOX = Setting(
    "GNBV_INBOX", "inbox folder or URI (e.g. s3://bucket/gnbv/inbox) of inbox/<province>/<YYYY-MM>/; default: inbox/"
)
ARCHIVE = Setting("GNBV_ARCHIVE", "where accepted files go; default: archive beside the inbox")
QUARANTINE = Setting(
    "GNBV_QUARANTINE", "where rejected files go, with their notes; default: quarantine beside the inbox"
)
INBOX_CONN_ID = Setting("GNBV_INBOX_CONN_ID", "Airflow connection of the inbox's store (e.g. aws_default); none: local")
INTAKE_WORKERS = Setting("GNBV_INTAKE_WORKERS", "reader processes of intake; default: one per core, at most 4")
AMOUNT_READER = Setting(
    "GNBV_AMOUNT_READER",
    "how a workbook's amount block is read: by_column (default) or by_cell (the reference reader it is compared with)",
)
DRY_RUN_GATE = Setting(
    "GNBV_DRY_RUN_GATE",
    "gx: dry runs (gnbv validate) validate with Great Expectations too; default: the suite evaluated without GX",
)
# --- mail and the report
SMTP_URL = Setting(
    "GNBV_SMTP_URL",
    "the mail server (smtp://user:pw@host:port, smtps://, ?starttls=true) for verdicts, reminders and"
    " reports, when Airflow's smtp_default (AIRFLOW_CONN_SMTP_DEFAULT) is not set",
)
NOTIFY_TO = Setting(
    "GNBV_NOTIFY_TO",
    "the province's addresses for reminders' overview and reporting status (comma-separated); the"
    " Airflow variable gnbv_notify_to wins when set",
)
REPORT_RECIPIENTS = Setting("GNBV_REPORT_RECIPIENTS", "who receives the province's monthly report (comma-separated)")
AGENCY_REPORT_RECIPIENTS = Setting(
    "GNBV_REPORT_RECIPIENTS_{code}",
    "who receives a lead agency's report (e.g. GNBV_REPORT_RECIPIENTS_SXD); empty: filed, not sent",
)
REPORTS = Setting("GNBV_REPORTS", "the report archive reports/<province>/<YYYY-MM>/<version>/; default: reports/")
# --- the portal
PORTAL_DATABASE_URL = Setting(
    "GNBV_PORTAL_DATABASE_URL",
    "the portal's own log-in (a member of gnbv_portal) in a deployment; unset: the warehouse in force",
)
PORTAL_SECRET = Setting(
    "GNBV_PORTAL_SECRET", "signs the portal's session cookies; unset: one kept in .gnbv/portal-secret"
)
PORTAL_SECURE_COOKIES = Setting(
    "GNBV_PORTAL_SECURE_COOKIES", "1 behind HTTPS: the portal's cookies are sent over HTTPS only"
)
PORTAL_MAX_UPLOAD_MB = Setting("GNBV_PORTAL_MAX_UPLOAD_MB", "the largest file the portal takes, in MB; default: 5")
PORTAL_TRUSTED_PROXIES = Setting(
    "GNBV_PORTAL_TRUSTED_PROXIES",
    "the reverse proxies in front of the portal (comma-separated IPs or networks) whose X-Forwarded-For names"
    " the client, for the log-in throttle and the audit log; unset: none, the client is the connection's peer",
)
# --- local Airflow
AIRFLOW_HOME = Setting("GNBV_AIRFLOW_HOME", "the local Airflow home; default: .gnbv/airflow")
AIRFLOW_METADATA_URL = Setting(
    "GNBV_AIRFLOW_METADATA_URL", "Airflow's metadata database (postgresql://); default: one in the embedded server"
)
AIRFLOW_PORT = Setting("GNBV_AIRFLOW_PORT", "the local Airflow UI's port; default: 8080")
AIRFLOW_DBT_DIR = Setting(
    "GNBV_AIRFLOW_DBT_DIR", "dbt's profile, target and manifest for the DAGs; default: .gnbv/airflow/dbt"
)
# --- BI and benchmarks (development)
SUPERSET_STATE = Setting("GNBV_SUPERSET_STATE", "set for Superset's process: its state folder (superset_config.py)")
SUPERSET_ADMIN_USER = Setting("GNBV_SUPERSET_ADMIN_USER", "set for Superset's process: the admin's name")
SUPERSET_ADMIN_PASSWORD = Setting("GNBV_SUPERSET_ADMIN_PASSWORD", "set for Superset's process: the admin's password")
BENCH_DATABASE = Setting("GNBV_BENCH_DATABASE", "the database gnbv bench creates and drops; default: gnbv_bench")
BENCH_RESULT = Setting("GNBV_BENCH_RESULT", "not read: the marker of a benchmark child's result line")

SETTINGS: tuple[Setting, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Setting))

ENV_HOME = HOME.name
ENV_DATABASE_URL = DATABASE_URL.name


class SettingsError(Exception):
    """A configuration problem; the message says what to do."""


def _is_project_root(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    if (folder / "gnbv" / "__init__.py").is_file():
        return True
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    return isinstance(project, dict) and project.get("name") == PROJECT_NAME


def _search_upwards(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if _is_project_root(folder):
            return folder
    return None


def project_root() -> Path:
    """The project root: ``$GNBV_HOME`` if set, else the folder holding pyproject.toml."""
    home = HOME.get()
    if home:
        root = Path(home).expanduser()
        if not root.is_dir():
            raise SettingsError(f"{ENV_HOME}={home!r} is not an existing folder: create it or unset {ENV_HOME}.")
        return root.resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        found = _search_upwards(start.resolve())
        if found is not None:
            return found
    raise SettingsError(
        f"Could not find the gnbv project (a folder with pyproject.toml) above {Path.cwd()}: "
        f"run from inside the project or set {ENV_HOME}=/path/to/project."
    )


def state_dir(root: Path | None = None) -> Path:
    """The project-local state folder ``<root>/.gnbv/`` (created if missing)."""
    folder = (root or project_root()) / STATE_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def external_database_url() -> str | None:
    """``$GNBV_DATABASE_URL`` if set and non-empty, else None."""
    return DATABASE_URL.get() or None


def database_url() -> str:
    """The warehouse URL in force: ``$GNBV_DATABASE_URL``, or the embedded server's
    URL (starting the embedded server if it is not running)."""
    external = external_database_url()
    if external is not None:
        return external
    from gnbv import warehouse  # local import: keep this module light

    return warehouse.start()


@dataclass(frozen=True)
class Settings:
    """Snapshot of the resolved settings (no side effects besides creating ``.gnbv/``)."""

    root: Path
    state_dir: Path
    external_database_url: str | None

    @property
    def uses_embedded_warehouse(self) -> bool:
        return self.external_database_url is None

    @classmethod
    def load(cls) -> Settings:
        root = project_root()
        return cls(
            root=root,
            state_dir=state_dir(root),
            external_database_url=external_database_url(),
        )
