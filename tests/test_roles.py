"""The warehouse's roles (gnbv/migrations/sql/V003__roles.sql), on a real PostgreSQL, after a
real dbt build: what gnbv_loader, gnbv_transformer and gnbv_bi may and may not do.

One throw-away database for the module, beside the session's test database on the same server
(tests/conftest.py: the embedded PostgreSQL or GNBV_TEST_DATABASE_URL), so the builds of other
modules (as the superuser) never mix owners with this one. The dbt build runs as a log-in that
is a member of gnbv_transformer and acts as it (ALTER ROLE ... SET role), as in production.
Each check runs ``SET ROLE <group>`` inside a transaction that is rolled back.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from gnbv import dbt
from tests.bi_contract import CONTRACT_MARTS
from tests.synthetic_raw import M, add_submission, at

pytestmark = pytest.mark.xdist_group(name="dbt")

ROOT = Path(__file__).resolve().parent.parent
V003 = ROOT / "gnbv" / "migrations" / "sql" / "V003__roles.sql"
RAW_TABLES = ("raw.submissions", "raw.fund_amounts", "raw.outcome_values", "raw.submission_problems")
GROUPS = ("gnbv_loader", "gnbv_transformer", "gnbv_bi")
DBT_SCHEMAS = ("reference", "staging", "intermediate", "marts")
# dbt_project/macros/bi_role.sql comments on role gnbv_bi at every run, which PostgreSQL allows only
# to roles with CREATEROLE: the least-privileged transformer cannot, until the comment is made only
# when the role is created.
MACRO_BLOCKS = "comment on role"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


init_warehouse = _load(ROOT / "deploy" / "scripts" / "init_warehouse.py")


def with_database(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"))


@dataclass
class Roles:
    url: str  # the module's database, as the superuser
    dbt_login: str
    dbt_result: dbt.DbtResult
    built_by_transformer: bool
    manifest: dict

    def marts(self) -> list[str]:
        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm') order by 1"
            ).fetchall()
        return [r[0] for r in rows]

    def relations(self, schema: str) -> list[str]:
        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by 1",
                (schema,),
            ).fetchall()
        return [f"{schema}.{r[0]}" for r in rows]


def attempt(url: str, role: str, *statements: str) -> str | None:
    """Run ``statements`` as ``role`` in a transaction that is rolled back: None when PostgreSQL
    allowed them all, "denied" on a permission error. Any other error fails the test (so a typo
    cannot pass for a refusal)."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            for statement in statements:
                conn.execute(statement)
            return None
        except psycopg.errors.InsufficientPrivilege:
            return "denied"
        finally:
            conn.rollback()


def one_row_submission(conn: psycopg.Connection, submission_id: str, unit: str, period: str) -> None:
    """A SYNTHETIC accepted submission of one DA5 row (plan 1,000, to date 100 triệu đồng), received
    on the 10th of ``period`` (YYYY-MM)."""
    funds = [("DA5", "NSTW_SN", int(period[:4]), 1000 * M, 100 * M)]
    add_submission(conn, submission_id, unit, period, at(f"{period}-10"), funds=funds)


@pytest.fixture(scope="module")
def roles(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roles]:
    from gnbv import db

    name = f"gnbv_roles_{os.getpid()}"
    url = with_database(database_url, name)
    login = f"gnbv_test_dbt_{os.getpid()}"
    password = secrets.token_hex(16)
    home = tmp_path_factory.mktemp("gnbv_roles_home")
    mp = pytest.MonkeyPatch()
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        mp.setenv("GNBV_HOME", str(home))
        mp.setenv("GNBV_DATABASE_URL", url)
        with db.connect() as conn:  # migrated: V001..V003
            one_row_submission(conn, "r043_2024_02", "043", "2024-02")
            one_row_submission(conn, "r043_2024_03", "043", "2024-03")
            conn.commit()
        with psycopg.connect(url, autocommit=True) as conn:
            init_warehouse.ensure_login(conn, login, password, ["gnbv_transformer"])
            # the log-in acts as the group role in every session: what dbt creates belongs to it
            conn.execute(sql.SQL("alter role {} set role = 'gnbv_transformer'").format(sql.Identifier(login)))
        mp.setenv("GNBV_DATABASE_URL", with_user(url, login, password))
        result = dbt.build(quiet=True, docs=False)
        by_transformer = result.success
        if not by_transformer:
            messages = " ".join(f"{n.message or ''}" for n in result.failed) + (result.error or "")
            log = (home / ".gnbv" / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
            assert MACRO_BLOCKS in log.lower() or "createrole" in (messages + log).lower(), "\n".join(result.lines())
            # dbt as a superuser (as in development), then the objects handed to the transformer
            mp.setenv("GNBV_DATABASE_URL", url)
            fallback = dbt.build(quiet=True, docs=False)
            assert fallback.success, "\n".join(fallback.lines())
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("select meta.hand_dbt_objects_to_transformer()")
        manifest = json.loads((home / ".gnbv" / "dbt" / "target" / "manifest.json").read_text(encoding="utf-8"))
        yield Roles(url, login, result, by_transformer, manifest)
    finally:
        mp.undo()
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(login)))


# --------------------------------------------------------------------------- the roles


def test_the_three_group_roles_exist_and_cannot_log_in(roles: Roles) -> None:
    with psycopg.connect(roles.url) as conn:
        rows = conn.execute(
            "select rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
            " from pg_roles where rolname = any(%s) order by rolname",
            (list(GROUPS),),
        ).fetchall()
    assert rows == [(g, False, False, False, False, False) for g in sorted(GROUPS)]


def test_dbt_builds_as_the_transformer_and_it_owns_what_dbt_built(roles: Roles) -> None:
    assert roles.built_by_transformer, "dbt must build as the transformer, without CREATEROLE"
    with psycopg.connect(roles.url) as conn:
        owners = conn.execute(
            "select distinct pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p')",
            (list(DBT_SCHEMAS),),
        ).fetchall()
    assert owners == [("gnbv_transformer",)]


def test_the_dbt_schemas_belong_to_the_transformer(roles: Roles) -> None:
    with psycopg.connect(roles.url) as conn:
        owners = dict(
            conn.execute(
                "select nspname, pg_get_userbyid(nspowner) from pg_namespace where nspname = any(%s)",
                (list(DBT_SCHEMAS),),
            ).fetchall()
        )
    assert owners == dict.fromkeys(DBT_SCHEMAS, "gnbv_transformer")


# --------------------------------------------------------------------------- BI


def test_the_bi_role_reads_every_mart(roles: Roles) -> None:
    marts = roles.marts()
    in_manifest = {  # the marts layer (built in marts_next, published into marts: gnbv/marts.py)
        n["alias"] or n["name"]
        for n in roles.manifest["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] in ("marts", "reports")
    }
    assert set(marts) == in_manifest
    assert set(marts) >= CONTRACT_MARTS  # more may come, none may go
    for mart in marts:
        assert attempt(roles.url, "gnbv_bi", f"select * from marts.{mart} limit 1") is None, mart
    with psycopg.connect(roles.url) as conn:
        conn.execute("set role gnbv_bi")
        rows = conn.execute("select count(*) from marts.fct_fund_disbursement where unit_code = '043'").fetchone()
    assert rows == (2,)


def test_the_bi_role_reads_nothing_outside_the_marts(roles: Roles) -> None:
    outside = [*RAW_TABLES, "meta.schema_migrations"]
    for schema in ("staging", "intermediate", "reference"):
        found = roles.relations(schema)
        assert found, schema
        outside += found
    for relation in outside:
        assert attempt(roles.url, "gnbv_bi", f"select 1 from {relation} limit 1") == "denied", relation


def test_the_bi_role_writes_nothing(roles: Roles) -> None:
    writes = [
        "insert into marts.dim_indicator (indicator_code) values ('x')",
        "update marts.fct_fund_disbursement set plan_amount_vnd = 0",
        "delete from marts.mart_province_consolidation",
        "truncate marts.fct_submission",
        "alter table marts.dim_period add column x int",
        "drop table marts.fct_outcome",
        "create table marts.bi_scratch (x int)",
        "create view marts.bi_view as select 1 as x",
        "create table public.bi_scratch (x int)",
        "create temporary table bi_scratch (x int)",
        "create schema bi_scratch",
        "insert into raw.submissions (submission_id) values ('x')",
        "select meta.hand_dbt_objects_to_transformer()",
    ]
    for statement in writes:
        assert attempt(roles.url, "gnbv_bi", statement) == "denied", statement


def test_a_mart_the_transformer_adds_later_is_readable_by_bi_without_a_new_grant(roles: Roles) -> None:
    assert (
        attempt(
            roles.url,
            "gnbv_transformer",
            "create table marts.zz_new_mart as select 1 as x",
            "set role gnbv_bi",
            "select x from marts.zz_new_mart",
        )
        is None
    )


# --------------------------------------------------------------------------- loader


def test_the_loader_appends_to_raw_and_reads_the_migration_log(roles: Roles) -> None:
    allowed = [
        "select count(*) from meta.schema_migrations",
        *(f"select count(*) from {t}" for t in RAW_TABLES),
    ]
    for statement in allowed:
        assert attempt(roles.url, "gnbv_loader", statement) is None, statement
    with psycopg.connect(roles.url) as conn:
        conn.execute("set role gnbv_loader")
        one_row_submission(conn, "loader_2024_04", "043", "2024-04")  # ingest_seq: an identity column
        with conn.cursor().copy(
            "copy raw.submission_problems (submission_id, problem_no, check_code, severity, message_vi, message_en)"
            " from stdin"
        ) as copy:
            copy.write_row(("loader_2024_04", 1, "synthetic", "warning", "SYNTHETIC", "SYNTHETIC"))
        landed = conn.execute(
            "select (select count(*) from raw.submissions where submission_id = 'loader_2024_04'),"
            " (select count(*) from raw.fund_amounts where submission_id = 'loader_2024_04'),"
            " (select count(*) from raw.submission_problems where submission_id = 'loader_2024_04')"
        ).fetchone()
        conn.rollback()
    assert landed == (1, 1, 1)  # the submission, its fund row and the copied problem


def test_raw_is_append_only_for_the_loader(roles: Roles) -> None:
    for statement in (
        "update raw.submissions set status = 'rejected'",
        "delete from raw.fund_amounts",
        "truncate raw.submission_problems",
        "alter table raw.submissions add column x int",
        "create table raw.loader_scratch (x int)",
    ):
        assert attempt(roles.url, "gnbv_loader", statement) == "denied", statement


def test_the_loader_cannot_touch_the_marts(roles: Roles) -> None:
    statements = []
    for mart in roles.marts():
        statements += [f"select 1 from marts.{mart} limit 1", f"delete from marts.{mart}", f"truncate marts.{mart}"]
    statements += [
        "insert into marts.dim_indicator (indicator_code) values ('x')",
        "update marts.fct_fund_disbursement set plan_amount_vnd = 0",
        "create table marts.loader_scratch (x int)",
        "drop table marts.fct_outcome",
        *(f"select 1 from {r} limit 1" for s in ("staging", "intermediate", "reference") for r in roles.relations(s)),
        "create schema loader_scratch",
        "create temporary table loader_scratch (x int)",
    ]
    for statement in statements:
        assert attempt(roles.url, "gnbv_loader", statement) == "denied", statement


# --------------------------------------------------------------------------- transformer


def test_the_transformer_reads_raw_but_never_writes_it(roles: Roles) -> None:
    for table in RAW_TABLES:
        assert attempt(roles.url, "gnbv_transformer", f"select count(*) from {table}") is None, table
    for statement in (
        "insert into raw.submissions (submission_id) values ('x')",
        "update raw.fund_amounts set plan_amount_vnd = 0",
        "delete from raw.submissions",
        "truncate raw.outcome_values",
    ):
        assert attempt(roles.url, "gnbv_transformer", statement) == "denied", statement


def test_the_transformer_builds_in_its_schemas_only(roles: Roles) -> None:
    for schema in DBT_SCHEMAS:
        assert attempt(roles.url, "gnbv_transformer", f"create table {schema}.t_scratch (x int)") is None, schema
    assert attempt(roles.url, "gnbv_transformer", "create temporary table t_scratch (x int)") is None
    for statement in ("create table raw.t_scratch (x int)", "create table public.t_scratch (x int)", "create schema t"):
        assert attempt(roles.url, "gnbv_transformer", statement) == "denied", statement


# --------------------------------------------------------------------------- log-ins and the migration


def test_a_bi_log_in_reads_the_marts_with_its_password_and_nothing_else(roles: Roles) -> None:
    user, first, second = f"gnbv_test_bi_{os.getpid()}", secrets.token_hex(12), secrets.token_hex(12)
    try:
        with psycopg.connect(roles.url, autocommit=True) as conn:
            init_warehouse.ensure_login(conn, user, first, ["gnbv_bi", "gnbv_loader"])
            init_warehouse.ensure_login(conn, user, second, ["gnbv_bi"])  # password rotated, loader dropped
            members = conn.execute(
                "select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid"
                " join pg_roles u on u.oid = m.member where u.rolname = %s",
                (user,),
            ).fetchall()
            verifier = conn.execute("select rolpassword from pg_authid where rolname = %s", (user,)).fetchone()
        assert members == [("gnbv_bi",)]
        assert verifier is not None and str(verifier[0]).startswith("SCRAM-SHA-256$")
        with psycopg.connect(with_user(roles.url, user, second)) as conn:
            assert conn.execute("select count(*) from marts.dim_component").fetchone()[0] > 0  # type: ignore[index]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("select 1 from raw.submissions")
    finally:
        with psycopg.connect(roles.url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(user)))


def test_a_group_role_or_superuser_name_is_refused_as_a_log_in(roles: Roles) -> None:
    with psycopg.connect(roles.url, autocommit=True) as conn:
        superuser = conn.execute("select current_user").fetchone()[0]  # type: ignore[index]
        for name in ("gnbv_bi", superuser):
            with pytest.raises(init_warehouse.ConfigError):
                init_warehouse.ensure_login(conn, name, "x" * 16, ["gnbv_bi"])


def test_the_roles_migration_can_run_again(roles: Roles) -> None:
    with psycopg.connect(roles.url) as conn:
        conn.execute(V003.read_text(encoding="utf-8").encode())
        conn.commit()
    assert attempt(roles.url, "gnbv_bi", "select * from marts.dim_period limit 1") is None
    assert attempt(roles.url, "gnbv_loader", "select 1 from marts.dim_period limit 1") == "denied"


def test_a_loader_log_in_connects_through_gnbv_db(roles: Roles, monkeypatch: pytest.MonkeyPatch) -> None:
    """Intake opens its connection with gnbv.db.connect(), which checks the migrations first."""
    from gnbv import db

    user, password = f"gnbv_test_loader_{os.getpid()}", secrets.token_hex(12)
    try:
        with psycopg.connect(roles.url, autocommit=True) as conn:
            init_warehouse.ensure_login(conn, user, password, ["gnbv_loader"])
        monkeypatch.setenv("GNBV_DATABASE_URL", with_user(roles.url, user, password))
        db._forget_migrations()
        with db.connect() as conn:  # an up-to-date database needs no CREATE right to connect
            # the two submissions the fixture landed, read as the loader
            assert conn.execute("select count(*) from raw.submissions").fetchone() == (2,)
    finally:
        db._forget_migrations()
        with psycopg.connect(roles.url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(user)))


def _first_statement_line(block: str) -> str:
    return next((line for line in block.splitlines() if line.strip() and not line.startswith("--")), "")


def test_the_example_queries_of_the_bi_documentation_run_as_the_bi_role(roles: Roles) -> None:
    doc = (ROOT / "docs" / "bi.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", doc, re.S)
    examples = [b for b in blocks if _first_statement_line(b).startswith("select")]
    assert len(examples) >= 2
    with psycopg.connect(roles.url) as conn:
        conn.execute("set role gnbv_bi")
        for example in examples:
            rows = conn.execute(example.encode()).fetchall()
            assert rows, example.splitlines()[0]
        conn.rollback()
