"""Specification of the warehouse connection: the embedded PostgreSQL lifecycle,
GNBV_DATABASE_URL, connection parameters and SQL migrations.

One embedded server per test module (GNBV_HOME points at a temporary folder, so the
project's own warehouse is never touched). Tests do not depend on each other's order:
each one (re)starts the server if it needs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from gnbv import db, settings, warehouse
from gnbv.migrate import MigrationError, apply_migrations, discover, pending_migrations
from gnbv.warehouse import WarehouseError

# another PostgreSQL to run against; by default the module's embedded server, seen from a project
# root of its own
EXTERNAL_URL = os.environ.get("GNBV_TEST_EXTERNAL_URL")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private project root with a running embedded warehouse."""
    root = tmp_path_factory.mktemp("gnbv_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("GNBV_HOME", str(root))
    mp.delenv("GNBV_DATABASE_URL", raising=False)
    started = time.perf_counter()
    warehouse.start()
    print(f"\nembedded warehouse first start (initdb): {time.perf_counter() - started:.2f}s")
    try:
        yield root
    finally:
        try:
            warehouse.stop()
        finally:
            mp.undo()


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Per-test view of the module's environment (tests may monkeypatch further)."""
    monkeypatch.setenv("GNBV_HOME", str(home))
    monkeypatch.delenv("GNBV_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def fresh_db(env: Path) -> Iterator[str]:
    """URL of a new, empty database on the embedded server (dropped afterwards)."""
    base = warehouse.start()
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    try:
        yield base.replace("/gnbv?", f"/{name}?")
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def _child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GNBV_DATABASE_URL"}
    env["GNBV_HOME"] = str(home)
    return env


def _start_in_subprocess(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from gnbv import warehouse; print(warehouse.start())"],
        env=_child_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out.strip()


def _write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- lifecycle


def test_first_start_creates_a_cluster_with_a_gnbv_database_reachable_over_its_socket(
    env: Path,
) -> None:
    url = warehouse.start()
    assert url.startswith("postgresql://postgres@/gnbv?host=")
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        db_name, encoding = conn.execute(
            "select current_database(), pg_encoding_to_char(encoding) from pg_database "
            "where datname = current_database()"
        ).fetchone()  # type: ignore[misc]
    assert (db_name, encoding) == ("gnbv", "UTF8")
    assert (env / ".gnbv" / "warehouse" / "pgdata" / "PG_VERSION").read_text().strip() == "18"


def test_the_server_listens_on_a_unix_socket_only(env: Path) -> None:
    with psycopg.connect(warehouse.start()) as conn:
        assert conn.execute("show listen_addresses").fetchone() == ("",)
    assert (warehouse.status().socket_dir / ".s.PGSQL.5432").is_socket()


def test_start_is_idempotent_and_reuses_the_running_server(env: Path) -> None:
    first = warehouse.start()
    pid = warehouse.status().pid
    started = time.perf_counter()
    assert warehouse.start() == first
    assert time.perf_counter() - started < 1.0
    assert warehouse.status().pid == pid


def test_a_second_process_gets_the_same_url_from_the_same_server(env: Path) -> None:
    url = warehouse.start()
    pid = warehouse.status().pid
    assert _finish(_start_in_subprocess(env)) == url
    assert warehouse.status().pid == pid


def test_concurrent_starts_from_two_processes_start_one_server(env: Path) -> None:
    warehouse.stop()
    procs = [_start_in_subprocess(env) for _ in range(2)]
    urls = {_finish(p) for p in procs}
    assert urls == {warehouse.url()}
    status = warehouse.status()
    assert status.running
    with psycopg.connect(status.url) as conn:
        assert conn.execute("select pg_backend_pid() <> %s", (status.pid,)).fetchone() == (True,)


def test_the_server_outlives_the_process_that_started_it(env: Path) -> None:
    warehouse.stop()
    url = _finish(_start_in_subprocess(env))  # that process has exited now
    assert warehouse.status().running
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_status_reports_pid_url_data_dir_log_and_version(env: Path) -> None:
    url = warehouse.start()
    status = warehouse.status()
    assert status.running and status.initialized
    assert status.pid is not None and status.pid > 0
    assert status.url == url == warehouse.url()
    assert status.data_dir == env / ".gnbv" / "warehouse" / "pgdata"
    assert status.log_file.is_file()
    assert status.version.startswith("PostgreSQL 18")
    assert status.data_version == "18"
    as_dict = status.to_dict()
    assert as_dict["data_dir"] == str(status.data_dir) and as_dict["running"] is True


def test_stop_then_start_keeps_the_data(env: Path) -> None:
    with psycopg.connect(warehouse.start()) as conn:
        conn.execute("create table if not exists keep_me (note text)")
        conn.execute("insert into keep_me values ('still here')")
    assert warehouse.stop() is True
    status = warehouse.status()
    assert not status.running and status.pid is None and status.initialized
    assert warehouse.stop() is False  # stopping a stopped server is a no-op
    with psycopg.connect(warehouse.start()) as conn:
        assert ("still here",) in conn.execute("select note from keep_me").fetchall()
        conn.execute("drop table keep_me")


def test_start_recovers_from_a_stale_pid_file_whose_pid_was_reused(env: Path) -> None:
    warehouse.stop()
    pid_file = env / ".gnbv" / "warehouse" / "pgdata" / "postmaster.pid"
    pid_file.write_text(f"{os.getpid()}\n{pid_file.parent}\n0\n5432\n\n\n\nready\n")
    assert not warehouse.status().running  # our pid is alive, but it is no postgres
    with psycopg.connect(warehouse.start()) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="root only")
def test_as_root_the_server_runs_as_the_embedded_postgres_user(env: Path) -> None:
    warehouse.start()
    status = warehouse.status()
    assert status.server_user == warehouse.SERVER_SYSTEM_USER
    assert Path(f"/proc/{status.pid}").stat().st_uid == status.data_dir.stat().st_uid != 0


# --------------------------------------------------------------------------- paths and errors


def test_socket_folder_falls_back_to_a_short_tmp_folder_for_long_project_paths() -> None:
    short = warehouse.WarehousePaths.for_root(Path("/srv/gnbv"))
    assert short.socket_dir == Path("/srv/gnbv/.gnbv/warehouse/run")
    deep = Path("/srv") / ("very-long-folder-name-" * 6) / "gnbv"
    long_paths = warehouse.WarehousePaths.for_root(deep)
    assert long_paths.socket_dir.parent == Path("/tmp")
    assert len(str(long_paths.socket_dir / ".s.PGSQL.5432")) < 100
    assert long_paths.socket_dir == warehouse.WarehousePaths.for_root(deep).socket_dir  # stable
    other = warehouse.WarehousePaths.for_root(deep.with_name("other"))
    assert other.socket_dir != long_paths.socket_dir


def test_project_root_is_the_folder_holding_pyproject_toml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GNBV_HOME", raising=False)
    here = Path(__file__).resolve().parent
    monkeypatch.chdir(here)
    root = settings.project_root()
    assert (root / "pyproject.toml").is_file() and here.is_relative_to(root)


def test_an_unusable_gnbv_home_is_a_warehouse_error_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GNBV_HOME", str(tmp_path / "missing"))
    with pytest.raises(WarehouseError, match="GNBV_HOME"):
        warehouse.start()


def test_a_data_folder_from_another_postgresql_major_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pgdata = tmp_path / ".gnbv" / "warehouse" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("17\n")
    monkeypatch.setenv("GNBV_HOME", str(tmp_path))
    with pytest.raises(WarehouseError, match="created by PostgreSQL 17"):
        warehouse.start()


def test_a_data_folder_that_is_not_a_cluster_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pgdata = tmp_path / ".gnbv" / "warehouse" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "notes.txt").write_text("not postgres")
    monkeypatch.setenv("GNBV_HOME", str(tmp_path))
    with pytest.raises(WarehouseError, match="not a PostgreSQL data folder"):
        warehouse.start()


# --------------------------------------------------------------------------- URLs


def test_connection_params_describe_the_embedded_server(env: Path) -> None:
    params = warehouse.connection_params()
    assert params == {
        "host": str(warehouse.status().socket_dir),
        "port": 5432,
        "user": "postgres",
        "dbname": "gnbv",
        "password": "",
    }
    with psycopg.connect(**params) as conn:
        assert conn.execute("select current_database()").fetchone() == ("gnbv",)


def test_connection_params_parse_an_external_url() -> None:
    params = warehouse.connection_params("postgresql://etl:s%40cret@db.example:6543/wh")
    assert params == {
        "host": "db.example",
        "port": 6543,
        "user": "etl",
        "dbname": "wh",
        "password": "s@cret",
    }


def test_gnbv_database_url_overrides_the_embedded_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNBV_HOME", str(tmp_path))
    monkeypatch.setenv("GNBV_DATABASE_URL", "postgresql://etl:pw@db.example:6543/wh")
    assert settings.database_url() == "postgresql://etl:pw@db.example:6543/wh"
    assert warehouse.connection_params()["host"] == "db.example"
    assert not settings.Settings.load().uses_embedded_warehouse
    assert not (tmp_path / ".gnbv" / "warehouse" / "pgdata").exists()  # nothing started


def test_an_unreachable_gnbv_database_url_is_a_warehouse_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GNBV_DATABASE_URL", "postgresql://etl:topsecret@127.0.0.1:1/wh")
    with pytest.raises(WarehouseError, match="GNBV_DATABASE_URL") as info:
        db.connect(connect_timeout=2)
    assert "topsecret" not in str(info.value)


@pytest.fixture
def external_db(env: Path) -> Iterator[str]:
    """A scratch database on the PostgreSQL of GNBV_TEST_EXTERNAL_URL, else on the module's
    server: never a server the machine happens to run."""
    server = EXTERNAL_URL or warehouse.start()
    name = f"gnbv_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'create database "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path="/" + name))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def test_connect_uses_gnbv_database_url_and_migrates_that_database(
    external_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GNBV_HOME", str(tmp_path))  # a project root with no warehouse of its own
    monkeypatch.setenv("GNBV_DATABASE_URL", external_db)
    with db.connect() as conn:
        assert conn.execute("select current_database()").fetchone() == (urlsplit(external_db).path[1:],)
        assert conn.info.parameter_status("application_name") == "gnbv"
        versions = [r[0] for r in conn.execute("select version from meta.schema_migrations")]
    assert versions[:1] == [1]
    assert not (tmp_path / ".gnbv" / "warehouse").exists()  # nothing started there


# --------------------------------------------------------------------------- migrations


def test_shipped_migrations_are_well_named_and_start_with_the_meta_schema() -> None:
    migrations = discover()
    assert migrations[0].id == "V001__meta"
    assert [m.version for m in migrations] == sorted({m.version for m in migrations})


def test_migrations_are_applied_once_in_order_and_are_idempotent(fresh_db: str, tmp_path: Path) -> None:
    folder = _write_migrations(
        tmp_path / "sql",
        {
            "V002__second.sql": "create table t2 (id int references t1);",
            "V001__first.sql": "create table t1 (id int primary key); insert into t1 values (1);",
        },
    )
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        assert pending_migrations(conn, folder) == ["V001__first", "V002__second"]
        assert apply_migrations(conn, folder) == ["V001__first", "V002__second"]
        assert apply_migrations(conn, folder) == []
        _write_migrations(folder, {"V003__third.sql": "alter table t1 add note text;"})
        assert apply_migrations(conn, folder) == ["V003__third"]
        rows = conn.execute("select version, name from meta.schema_migrations order by 1").fetchall()
    assert rows == [(1, "first"), (2, "second"), (3, "third")]


def test_shipped_migrations_apply_to_a_fresh_database_and_then_are_up_to_date(
    fresh_db: str,
) -> None:
    with psycopg.connect(fresh_db) as conn:  # a non-autocommit connection works too
        applied = apply_migrations(conn)
        assert applied[0] == "V001__meta" and len(applied) == len(discover())
        assert apply_migrations(conn) == []
        assert pending_migrations(conn) == []


def test_a_migration_changed_after_it_was_applied_is_refused(fresh_db: str, tmp_path: Path) -> None:
    folder = _write_migrations(tmp_path / "sql", {"V001__first.sql": "create table t1 (id int);"})
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        apply_migrations(conn, folder)
        (folder / "V001__first.sql").write_text("create table t1 (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            apply_migrations(conn, folder)


def test_only_line_ending_changes_do_not_count_as_a_change(fresh_db: str, tmp_path: Path) -> None:
    folder = _write_migrations(tmp_path / "sql", {"V001__first.sql": "create table t1 (id int);\n"})
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        apply_migrations(conn, folder)
        (folder / "V001__first.sql").write_bytes(b"create table t1 (id int);\r\n")
        assert apply_migrations(conn, folder) == []


def test_a_database_with_migrations_unknown_to_this_code_is_refused(fresh_db: str, tmp_path: Path) -> None:
    folder = _write_migrations(tmp_path / "sql", {"V001__first.sql": "select 1;", "V002__b.sql": "select 2;"})
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        apply_migrations(conn, folder)
        (folder / "V002__b.sql").unlink()
        with pytest.raises(MigrationError, match="newer than this code"):
            apply_migrations(conn, folder)


def test_a_failing_migration_is_rolled_back_entirely_and_reported(fresh_db: str, tmp_path: Path) -> None:
    folder = _write_migrations(
        tmp_path / "sql",
        {
            "V001__ok.sql": "create table t1 (id int);",
            "V002__broken.sql": "create table t2 (id int);\ninsert into t2 values ('not a number');",
        },
    )
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        with pytest.raises(MigrationError, match=r"V002__broken\.sql failed"):
            apply_migrations(conn, folder)
        assert conn.execute("select to_regclass('t1') is not null, to_regclass('t2') is null").fetchone() == (
            True,
            True,
        )
        assert pending_migrations(conn, folder) == ["V002__broken"]


def test_badly_named_migration_files_are_refused(tmp_path: Path) -> None:
    folder = _write_migrations(tmp_path / "sql", {"V1-first.sql": "select 1;"})
    with pytest.raises(MigrationError, match="Badly named"):
        discover(folder)


def test_concurrent_migration_runs_apply_each_migration_exactly_once(fresh_db: str, tmp_path: Path) -> None:
    folder = _write_migrations(
        tmp_path / "sql",
        {f"V{i:03d}__step{i}.sql": f"create table step{i} (id int); select pg_sleep(0.05);" for i in range(1, 6)},
    )
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(fresh_db, autocommit=True) as conn:
                results.append(apply_migrations(conn, folder))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    applied = [m for r in results for m in r]
    assert sorted(applied) == [f"V{i:03d}__step{i}" for i in range(1, 6)]


def test_connect_applies_migrations_once_per_process(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(conn: psycopg.Connection[object]) -> list[str]:
        calls.append(1)
        return apply_migrations(conn)

    monkeypatch.setattr("gnbv.db.apply_migrations", counting)
    db._forget_migrations()
    for _ in range(3):
        with db.connect() as conn:
            assert conn.info.parameter_status("application_name") == "gnbv"
            assert conn.execute("select count(*) >= 1 from meta.schema_migrations").fetchone() == (True,)
    assert len(calls) == 1
