"""Apache Superset in an environment of its own, under the project's state folder.

Layout, under ``<root>/.gnbv/bi/``::

    venv/                       Superset's virtualenv, from deploy/superset/requirements.txt
                                (every package pinned and its hash checked); never Airflow's
    venv/.gnbv-requirements     sha256 of the requirements it holds (a changed lock reinstalls)
    install.lock                flock() serialising installs and starts across processes
    superset/                   this instance:
        superset.db             Superset's metadata (SQLite): users, the database, dashboards
        secret_key              encrypts what Superset stores (the warehouse password), 0600
        admin_password          the ``admin`` account's password, 0600
        setup                   sha256 of the requirements the metadata was last set up with
        server.json             pid and port of the running server
        superset.log            the server's log

Superset runs as gunicorn (one process, threads) detached from the command that starts it,
bound to 127.0.0.1 unless told otherwise. All failures surface as :class:`BiError` with a
message saying what to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gnbv import settings

CODE_ROOT = Path(__file__).resolve().parents[2]
SUPERSET_DIR = CODE_ROOT / "deploy" / "superset"
REQUIREMENTS = SUPERSET_DIR / "requirements.txt"
CONFIG = SUPERSET_DIR / "superset_config.py"
SETUP_SCRIPT = SUPERSET_DIR / "setup_metadata.py"
ADMIN_USER = "admin"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088
INSTALL_TIMEOUT_S = 1800
SETUP_TIMEOUT_S = 600
START_TIMEOUT_S = 240
STOP_TIMEOUT_S = 30

Echo = Callable[[str], None]


class BiError(Exception):
    """A BI problem; ``str(err)`` is a user-facing message saying what to do."""


@dataclass(frozen=True)
class SupersetPaths:
    base: Path  # .gnbv/bi
    venv: Path
    state: Path  # .gnbv/bi/superset

    @classmethod
    def for_root(cls, root: Path | None = None, *, venv: Path | None = None) -> SupersetPaths:
        """The instance of project ``root``; ``venv`` may name another instance's environment
        (the tests share one installation between throw-away instances)."""
        base = (root or settings.project_root()) / settings.STATE_DIR_NAME / "bi"
        return cls(base=base, venv=venv or base / "venv", state=base / "superset")

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def installed_stamp(self) -> Path:
        return self.venv / ".gnbv-requirements"

    @property
    def lock(self) -> Path:
        return self.base / "install.lock"

    @property
    def secret_key(self) -> Path:
        return self.state / "secret_key"

    @property
    def admin_password_file(self) -> Path:
        return self.state / "admin_password"

    @property
    def setup_stamp(self) -> Path:
        return self.state / "setup"

    @property
    def server_record(self) -> Path:
        return self.state / "server.json"

    @property
    def log(self) -> Path:
        return self.state / "superset.log"


def requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


@contextlib.contextmanager
def _locked(paths: SupersetPaths) -> Iterator[None]:
    paths.base.mkdir(parents=True, exist_ok=True)
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # an install by another process: wait for it
        yield
    finally:
        os.close(fd)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")


# --------------------------------------------------------------------------- install


def _uv() -> str:
    """uv: on PATH, beside this interpreter, or where scripts/bootstrap.sh put it."""
    candidates = [
        shutil.which("uv"),
        str(Path(sys.prefix) / "bin" / "uv"),
        str(CODE_ROOT / settings.STATE_DIR_NAME / "bootstrap" / "bin" / "uv"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BiError("uv is needed to install Superset and was not found: run `bash scripts/bootstrap.sh` once.")


def is_installed(paths: SupersetPaths) -> bool:
    return paths.python.exists() and _read(paths.installed_stamp) == requirements_digest()


def install(paths: SupersetPaths, *, echo: Echo = print) -> bool:
    """Install Superset into its own environment as deploy/superset/requirements.txt pins it.
    Returns False when it was already there (quick), True when something was installed."""
    if is_installed(paths):
        return False
    with _locked(paths):
        if is_installed(paths):  # installed meanwhile by another process
            return False
        uv = _uv()
        echo(f"installing Apache Superset into {paths.venv} (about a minute the first time)…")
        started = time.monotonic()
        if not paths.python.exists():
            _run_install([uv, "venv", "--quiet", "--python", sys.executable, str(paths.venv)])
        paths.installed_stamp.unlink(missing_ok=True)
        # sync, not install: the environment holds exactly the lock, nothing left from before
        _run_install(
            [uv, "pip", "sync", "--quiet", "--require-hashes", "--python", str(paths.python), str(REQUIREMENTS)]
        )
        paths.installed_stamp.write_text(requirements_digest() + "\n", encoding="utf-8")
        echo(f"Superset installed in {time.monotonic() - started:.0f}s")
        return True


def _run_install(cmd: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=INSTALL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise BiError(
            f"Installing Superset took over {INSTALL_TIMEOUT_S}s: check the network to PyPI and retry."
        ) from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise BiError(f"Installing Superset failed (`{' '.join(cmd[:3])} …`):\n{detail}")


# --------------------------------------------------------------------------- instance


def superset_env(paths: SupersetPaths) -> dict[str, str]:
    """The environment Superset's processes run with: its config, its state, nothing of ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "AIRFLOW", "GNBV_", "SUPERSET_", "FLASK_", "PG")) and k != "VIRTUAL_ENV"
    }
    env.update(
        SUPERSET_CONFIG_PATH=str(CONFIG),
        SUPERSET_HOME=str(paths.state),
        GNBV_SUPERSET_STATE=str(paths.state),
        FLASK_APP="superset.app:create_app()",
        PATH=f"{paths.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def admin_password(paths: SupersetPaths) -> str:
    """The ``admin`` account's password (made at the first set-up)."""
    password = _read(paths.admin_password_file)
    if not password:
        raise BiError("Superset is not set up yet: run `gnbv bi start`.")
    return password


def set_up(paths: SupersetPaths, *, echo: Echo = print) -> bool:
    """Create or upgrade Superset's metadata database, its admin account and its roles (once per
    installed version, and again when the admin password file is gone: a new password is made
    and set). Returns True when it ran."""
    paths.state.mkdir(parents=True, exist_ok=True)
    paths.state.chmod(0o700)  # the metadata holds password hashes and the warehouse connection
    if not _read(paths.secret_key):
        _write_secret(paths.secret_key, secrets.token_urlsafe(48))
    new_password = not _read(paths.admin_password_file)
    if new_password:  # the first set-up, or the file was removed: the admin takes a new one
        _write_secret(paths.admin_password_file, secrets.token_urlsafe(18))
    if _read(paths.setup_stamp) == requirements_digest() and not new_password:
        return False
    echo(f"setting up Superset's metadata in {paths.state} …")
    env = superset_env(paths)
    env[settings.SUPERSET_ADMIN_USER.name] = ADMIN_USER
    env[settings.SUPERSET_ADMIN_PASSWORD.name] = admin_password(paths)
    try:
        proc = subprocess.run(
            [str(paths.python), str(SETUP_SCRIPT)],
            capture_output=True,
            text=True,
            env=env,
            cwd=paths.state,
            timeout=SETUP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BiError(f"Superset's set-up took over {SETUP_TIMEOUT_S}s; see {paths.state}.") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise BiError(f"Superset's metadata set-up failed:\n{tail}")
    paths.setup_stamp.write_text(requirements_digest() + "\n", encoding="utf-8")
    return True


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class Server:
    pid: int
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _recorded_server(paths: SupersetPaths) -> Server | None:
    text = _read(paths.server_record)
    if not text:
        return None
    try:
        data = json.loads(text)
        server = Server(pid=int(data["pid"]), host=str(data["host"]), port=int(data["port"]))
    except (ValueError, KeyError, TypeError):
        return None
    return server if _is_our_gunicorn(server.pid) else None


def _is_our_gunicorn(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "gunicorn" in cmdline and "superset" in cmdline


def _healthy(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def running(paths: SupersetPaths) -> Server | None:
    """The running server of this instance, if it answers."""
    server = _recorded_server(paths)
    return server if server is not None and _healthy(server.url) else None


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def start(paths: SupersetPaths, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, echo: Echo = print) -> Server:
    """Start Superset's server (installed and set up first if needed); returns it. Idempotent:
    a server of this instance already running is returned as it is."""
    install(paths, echo=echo)
    set_up(paths, echo=echo)
    with _locked(paths):
        server = _recorded_server(paths)
        if server is not None and _wait_healthy(server, paths, timeout=START_TIMEOUT_S):
            return server
        if not _port_free(host, port):
            raise BiError(f"Port {port} on {host} is taken: start Superset on another one (`gnbv bi start --port N`).")
        paths.log.parent.mkdir(parents=True, exist_ok=True)
        if paths.log.exists() and paths.log.stat().st_size > 10 * 1024 * 1024:
            paths.log.replace(paths.log.with_name(paths.log.name + ".1"))
        cmd = [
            str(paths.venv / "bin" / "gunicorn"),
            "--bind",
            f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "180",
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
            "superset.app:create_app()",
        ]
        with paths.log.open("ab") as log:
            process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=paths.state,
                env=superset_env(paths),
                start_new_session=True,  # outlives this command, like the warehouse
            )
        server = Server(pid=process.pid, host=host, port=port)
        paths.server_record.write_text(json.dumps({"pid": server.pid, "host": host, "port": port}) + "\n")
        echo(f"starting Superset on {server.url} …")
        if not _wait_healthy(server, paths, timeout=START_TIMEOUT_S, process=process):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            paths.server_record.unlink(missing_ok=True)
            raise BiError(f"Superset did not start. The end of its log ({paths.log}):\n{_log_tail(paths)}")
        return server


def _wait_healthy(
    server: Server, paths: SupersetPaths, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(server.url, timeout=2):
            return True
        if process is not None and process.poll() is not None:
            return False
        if process is None and not _is_our_gunicorn(server.pid):
            return False
        time.sleep(0.5)
    return False


def _log_tail(paths: SupersetPaths, lines: int = 20) -> str:
    try:
        return "\n".join(paths.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(paths: SupersetPaths) -> bool:
    """Stop this instance's server; False when none ran."""
    server = _recorded_server(paths)
    paths.server_record.unlink(missing_ok=True)
    if server is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and _is_our_gunicorn(server.pid):
        time.sleep(0.2)
    if _is_our_gunicorn(server.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
    return True


@dataclass(frozen=True)
class SupersetStatus:
    installed: bool
    running: bool
    url: str | None
    pid: int | None
    venv: Path
    state: Path
    log: Path

    def to_dict(self) -> dict[str, object]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def status(paths: SupersetPaths) -> SupersetStatus:
    server = running(paths)
    return SupersetStatus(
        installed=is_installed(paths),
        running=server is not None,
        url=server.url if server else None,
        pid=server.pid if server else None,
        venv=paths.venv,
        state=paths.state,
        log=paths.log,
    )
