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
import socket
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

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


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?from_email=gnbv-test@example.org"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox  # type: ignore[attr-defined]
        self._reply("220 gnbv-test ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "EHLO":
                self._reply("250-gnbv-test")
                self._reply("250-8BITMIME")
                self._reply("250 SMTPUTF8")
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                box.messages.append(message_from_bytes(b"".join(lines), policy=policy.default))  # type: ignore[arg-type]
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on localhost (aiosmtpd when installed, else a small stdlib one)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        Controller = None  # noqa: N806
    if Controller is not None:
        box = Mailbox("127.0.0.1", 0)

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                box.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
                return "250 queued"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            box.port = probe.getsockname()[1]
        controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
        controller.start()
        yield box
        controller.stop()
        return
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    box = Mailbox("127.0.0.1", server.server_address[1])
    server.mailbox = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
