"""The embedded warehouse as a server BI clients reach over TCP: a password always, never the
superuser, and the Unix socket as before.

One embedded server for the module, in a private project root (GNBV_HOME), asked to listen on a
free port of 127.0.0.1 -- the project's own warehouse is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gnbv import db, warehouse
from gnbv.bi import provision
from gnbv.warehouse import ListenAddress, WarehouseError
from tests.servers import warehouse_on_tcp


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    with warehouse_on_tcp("tcp") as root:
        with db.connect():  # migrations: the gnbv_bi role
            pass
        yield root


@pytest.fixture
def address(home: Path, monkeypatch: pytest.MonkeyPatch) -> ListenAddress:
    monkeypatch.setenv("GNBV_HOME", str(home))
    monkeypatch.delenv("GNBV_DATABASE_URL", raising=False)
    warehouse.start()
    listening = warehouse.tcp_address()
    assert listening is not None
    return listening


def tcp(address: ListenAddress, user: str, password: str | None = None) -> psycopg.Connection:
    return psycopg.connect(
        host=address.client_host,
        port=address.port,
        user=user,
        dbname=warehouse.DB_NAME,
        password=password or "",
        connect_timeout=10,
    )


def refusal(address: ListenAddress, user: str, password: str | None = None) -> str:
    with pytest.raises(psycopg.OperationalError) as refused:
        tcp(address, user, password).close()
    return str(refused.value)


def test_tcp_without_a_password_is_refused_for_every_role(address: ListenAddress) -> None:
    with db.connect(autocommit=True) as conn:
        conn.execute("drop role if exists tcp_no_password")
        conn.execute("create role tcp_no_password login")  # a log-in that has no password at all
    assert "no password supplied" in refusal(address, "tcp_no_password")
    assert "no password supplied" in refusal(address, "gnbv_bi_reader_x")  # an unknown user asks the same
    login = "tcp_with_password"
    with db.connect() as conn:
        provision.rotate_login(conn, login)
    assert "no password supplied" in refusal(address, login)


def test_the_superuser_never_logs_in_over_tcp_even_with_a_password(address: ListenAddress) -> None:
    with db.connect(autocommit=True) as conn:
        conn.execute("alter role postgres password 'known-to-an-attacker'")
    try:
        assert "pg_hba.conf rejects connection" in refusal(address, "postgres", "known-to-an-attacker")
    finally:
        with db.connect(autocommit=True) as conn:
            conn.execute("alter role postgres password null")


def test_a_bi_login_connects_with_its_password_read_only_and_a_rotation_retires_the_old_one(
    address: ListenAddress,
) -> None:
    login = "tcp_bi_reader"
    with db.connect() as conn:
        first = provision.rotate_login(conn, login)
    with tcp(address, login, first) as bi:
        assert bi.execute("show default_transaction_read_only").fetchone() == ("on",)
        roles = bi.execute(
            "select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid"
            " join pg_roles u on u.oid = m.member where u.rolname = current_user"
        ).fetchall()
        assert roles == [("gnbv_bi",)]
        powers = "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user"
        assert bi.execute(powers).fetchone() == (False, False, False)
    assert "password authentication failed" in refusal(address, login, first + "x")
    with db.connect() as conn:
        second = provision.rotate_login(conn, login)
    assert "password authentication failed" in refusal(address, login, first)
    with tcp(address, login, second) as bi:
        assert bi.execute("select 1").fetchone() == (1,)


def test_a_role_with_more_than_bi_needs_is_not_turned_into_a_bi_login(address: ListenAddress) -> None:
    with db.connect(autocommit=True) as conn:
        conn.execute("drop role if exists tcp_loader")
        conn.execute("create role tcp_loader login in role gnbv_loader")
    with db.connect() as conn, pytest.raises(provision.BiError, match="more than BI needs"):
        provision.rotate_login(conn, "tcp_loader")


def test_the_unix_socket_stays_as_it_was(address: ListenAddress) -> None:
    with psycopg.connect(warehouse.url()) as conn:  # the project's own processes: no password
        assert conn.execute("select current_user").fetchone() == ("postgres",)


def test_a_cluster_made_by_an_older_gnbv_gets_the_password_rules_before_it_listens(
    address: ListenAddress, home: Path
) -> None:
    # initdb --auth=trust wrote TCP lines that trust everyone: an older cluster still has them
    hba = home / ".gnbv" / "warehouse" / "pgdata" / "pg_hba.conf"
    hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n")
    warehouse.stop()
    warehouse.start()
    assert "no password supplied" in refusal(address, "tcp_no_password")
    assert hba.read_text() == warehouse.PG_HBA


def test_socket_only_stops_listening_and_the_address_is_kept_for_later_starts(
    address: ListenAddress, home: Path
) -> None:
    assert warehouse.status().listen == str(address)
    assert warehouse.set_listen(None) is True  # running and listening: restarted
    warehouse.start()
    assert warehouse.tcp_address() is None
    assert warehouse.status().listen is None
    with pytest.raises(psycopg.OperationalError, match="refused"):
        tcp(address, "postgres").close()
    assert warehouse.set_listen(address) is True
    warehouse.stop()
    warehouse.start()  # an ordinary start (any gnbv command) listens again
    assert warehouse.tcp_address() == address


@pytest.mark.parametrize("value", ["5433", "localhost", "127.0.0.1:80", "127.0.0.1:99999", "example.org:5433", ""])
def test_a_listen_address_that_is_not_host_and_port_is_refused_with_an_example(value: str) -> None:
    with pytest.raises(WarehouseError, match=r"e\.g\. 127\.0\.0\.1:5433"):
        warehouse.parse_listen(value)


def test_listen_addresses_read_as_written() -> None:
    assert warehouse.parse_listen("127.0.0.1:5433") == ListenAddress("127.0.0.1", 5433)
    assert warehouse.parse_listen("[::1]:5433") == ListenAddress("::1", 5433)
    assert str(ListenAddress("::1", 5433)) == "[::1]:5433"
    assert ListenAddress("0.0.0.0", 5433).client_host == "127.0.0.1"
