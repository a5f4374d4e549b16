"""What the Airflow tests share (imported by tests/test_dags*.py and tests/test_inbox*.py).

Airflow reads its configuration when it is first imported, so one Airflow home per test
process (xdist worker) is set up before any test imports it: a temporary folder with a SQLite
metadata database copied from a migrated template (``.gnbv/airflow-test-template/<version>/``,
made once per Airflow version with ``airflow db migrate``). The Airflow tests form two xdist
groups (``airflow`` and the long ``airflow_e2e``), so each worker that runs them has one home.

Only Airflow's own variables and the orchestration's folders are set process-wide; the
warehouse connection is set by the fixtures that need a database.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gnbv.mail_sink import MailSink
from gnbv.orchestration import airflow_env

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / ".gnbv" / "airflow-test-template"
# Variables that point at a database: left to the fixtures (tests/conftest.py's database_url).
_PER_TEST = ("GNBV_DATABASE_URL", f"AIRFLOW_CONN_{airflow_env.WAREHOUSE_CONN_ID.upper()}")

_env: dict[str, str] | None = None
_migrate_seconds: float = 0.0


def airflow_test_env() -> dict[str, str]:
    """The process's Airflow environment for tests (created and applied on first call)."""
    global _env, _migrate_seconds
    if _env is None:
        home = Path(tempfile.mkdtemp(prefix="gnbv-airflow-test-"))
        env = airflow_env.airflow_env(home=home, warehouse_url="postgresql://postgres@localhost/unset", smtp_url="")
        for name in _PER_TEST:
            env.pop(name, None)
        env.update(
            {
                "GNBV_AIRFLOW_DBT_DIR": str(home / "dbt"),
                "GNBV_REPORTS": str(home / "reports"),
                "GNBV_INBOX": str(home / "files" / "inbox"),
                "GNBV_NOTIFY_TO": "",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            }
        )
        airflow_env.apply(env)
        _migrate_seconds = airflow_env.ensure_metadata_db(env, template=TEMPLATE)
        _env = env
    return _env


def migrate_seconds() -> float:
    return _migrate_seconds


@pytest.fixture(scope="session")
def airflow_home() -> Iterator[Path]:
    env = airflow_test_env()
    yield Path(env["AIRFLOW_HOME"])
    shutil.rmtree(env["AIRFLOW_HOME"], ignore_errors=True)


# --------------------------------------------------------------------------- a real SMTP server


@pytest.fixture(scope="session")
def mailbox() -> Iterator[MailSink]:
    """A real SMTP server on localhost (aiosmtpd, as ``gnbv demo`` runs it)."""
    with MailSink(sender="gnbv-test@example.org") as sink:
        yield sink
