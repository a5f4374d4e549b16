"""What the tests that start servers of their own need: a port, and a project root the server's
system user can reach."""

from __future__ import annotations

import random
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A port free now, below Linux's ephemeral range (32768-60999), so that no client connection
    of another process takes it before the server binds it."""
    for _ in range(200):
        port = random.randint(20000, 29999)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 29999")


@contextmanager
def private_project_root(prefix: str) -> Iterator[Path]:
    """A throw-away project root for GNBV_HOME, outside pytest's /tmp/pytest-of-<user>: every
    pytest session that starts resets that folder to mode 0700, and a warehouse running there as
    another system user (root's tests run it as embedded_postgres) then cannot reach its own
    data folder any more."""
    root = Path(tempfile.mkdtemp(prefix=f"gnbv-{prefix}-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def warehouse_on_tcp(prefix: str) -> Iterator[Path]:
    """A private project root (GNBV_HOME) whose embedded warehouse runs and listens on a free
    port of 127.0.0.1 -- the project's own warehouse is never touched; stopped afterwards."""
    from gnbv import warehouse

    with private_project_root(prefix) as root:
        patch = pytest.MonkeyPatch()
        patch.setenv("GNBV_HOME", str(root))
        patch.delenv("GNBV_DATABASE_URL", raising=False)
        try:
            warehouse.set_listen(warehouse.ListenAddress("127.0.0.1", free_port()))
            warehouse.start()
            yield root
        finally:
            try:
                warehouse.stop()
            finally:
                patch.undo()
