"""OWASP API9:2023 Improper Inventory Management.

Attacks held here:
- mapping the API from the internet: /docs, /redoc, /openapi.json (every route, parameter and error) and
  /metrics (traffic, error rates, breaker states) through the public nginx, including the spellings nginx
  normalises (`//docs`, `/%64ocs`). nginx answers 404 itself, before any gateway sees the request, on the
  public side and on n8n's internal listener, while /chat, /staff and /health are still proxied.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from gateway.security.api_keys import create_api_key
from tests.deploy.harness import GatewayProcess, RenderedNginx, logged, render_nginx, running_nginx
from tests.deploy.test_nginx import (  # noqa: F401  (module fixtures, used by name)
    https_client,
    loopback_ports,
    module_database_url,
    module_sms,
    nginx,
    two_gateways,
)

HIDDEN = ["/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/metrics"]


@pytest.fixture
def public_nginx(nginx: str, two_gateways: dict[str, GatewayProcess], tmp_path: Path) -> Iterator[RenderedNginx]:  # noqa: F811
    upstreams = [g.address for g in two_gateways.values()]
    with running_nginx(nginx, render_nginx(tmp_path, upstreams=upstreams, listen=loopback_ports())) as rendered:
        yield rendered


def _raw_get(rendered: RenderedNginx, target: str, request_id: str) -> int:
    """A GET with the request target exactly as written (httpx would normalise `//docs` or `%64`)."""
    context = ssl.create_default_context(cafile=str(rendered.conf.parent / "certs" / "fullchain.pem"))
    with (
        socket.create_connection(("127.0.0.1", rendered.ports[8443]), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        headers = f"Host: localhost\r\nX-Request-ID: {request_id}\r\nConnection: close\r\n"
        tls.sendall(f"GET {target} HTTP/1.1\r\n{headers}\r\n".encode())
        head = tls.recv(4096).decode(errors="replace")
    return int(head.split(" ", 2)[1])


def test_the_api_map_and_metrics_are_not_served_to_the_internet(
    public_nginx: RenderedNginx,
    two_gateways: dict[str, GatewayProcess],  # noqa: F811
    module_database_url: str,  # noqa: F811
) -> None:
    # The copies behind it run in development and do serve the docs: nginx is what hides them here.
    (a, _) = two_gateways.values()
    assert httpx.get(f"http://{a.address}/openapi.json", timeout=5).status_code == 200
    key = asyncio.run(_chat_key(module_database_url))

    ids: dict[str, str] = {}
    statuses: dict[str, int] = {}
    with https_client(public_nginx) as client:
        for path in HIDDEN:
            ids[path] = f"hidden-{uuid.uuid4().hex[:12]}"
            answer = client.get(path, headers={"X-Request-ID": ids[path]})
            statuses[path] = answer.status_code
            assert answer.json()["error"]["code"] == "not_found", path
        chat = client.post(
            "/chat",
            json={"messages": [{"role": "user", "content": "Hola"}], "user_id": "+59170000031"},
            headers={"X-API-Key": key},
        )
        health = client.get("/health")
    for target in ("//docs", "/%64ocs", "/openapi%2Ejson", "/docs/../openapi.json"):
        ids[target] = f"hidden-{uuid.uuid4().hex[:12]}"
        statuses[target] = _raw_get(public_nginx, target, ids[target])

    assert statuses == dict.fromkeys(statuses, 404), statuses
    assert chat.status_code == 200, chat.text
    assert health.status_code == 200
    entries = public_nginx.access_entries(until=logged(ids.values()))
    for entry in entries:
        if entry["request_id"] in ids.values():
            assert entry["upstream_addr"] == "", entry  # answered by nginx, never proxied


def test_n8ns_internal_listener_hides_them_too(public_nginx: RenderedNginx) -> None:
    with httpx.Client(base_url=public_nginx.url(8081), timeout=10) as client:
        assert {path: client.get(path).status_code for path in HIDDEN} == dict.fromkeys(HIDDEN, 404)
        assert client.get("/health").status_code == 200


async def _chat_key(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return (await create_api_key(conn, name="n8n (inventory test)", scopes={"chat"})).secret
    finally:
        await conn.close()
