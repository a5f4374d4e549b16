"""How the portal is served: one uvicorn configuration for ``gnbv portal`` and the tests.

In a deployment the portal sits behind a TLS reverse proxy (docs/deployment.md), so every
connection comes from the proxy. The client's own address — what the log-in throttle counts
failures by, what the audit log records — is then the one the proxy names in X-Forwarded-For.
That header is believed only from the proxies named in $GNBV_PORTAL_TRUSTED_PROXIES: from anyone
else it is whatever the client chose to write, and a guesser could name a new address at every
attempt. Unset, no proxy is believed and the client is the connection's peer.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from gnbv import settings


def trusted_proxies() -> list[str]:
    """The addresses (IPs or networks) whose X-Forwarded-For names the client."""
    return [address.strip() for address in settings.PORTAL_TRUSTED_PROXIES.get().split(",") if address.strip()]


def server_config(app: Any, *, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    proxies = trusted_proxies()
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None
    )
