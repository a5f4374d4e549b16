"""Ports for servers the tests start (the warehouse on TCP, Superset)."""

from __future__ import annotations

import random
import socket


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
