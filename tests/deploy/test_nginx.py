"""deploy/nginx with real nginx in front of real gateway processes (uvicorn, on loopback ports).

Skipped, with the reason, where nginx is not installed (`make deploy-tools` installs it with apt).
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.embedded import with_database
from gateway.console import admin
from gateway.security.api_keys import create_api_key
from tests.deploy.harness import (
    NGINX_SOURCE,
    GatewayProcess,
    RenderedNginx,
    logged,
    nginx_binary,
    nginx_test,
    render_nginx,
    running_gateways,
    running_nginx,
)
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server
from tests.support.services import InferenceProcess, free_port, runtime_url

OTP_SECRET = "test-otp-secret-of-at-least-16-bytes"


@pytest.fixture(scope="module")
def nginx() -> str:
    found = nginx_binary()
    if found is None:
        pytest.skip("nginx is not installed: `make deploy-tools` installs it (Debian, apt), or install it yourself")
    return found


def loopback_ports() -> dict[int, int]:
    return {8080: free_port(), 8081: free_port(), 8443: free_port()}


def https_client(rendered: RenderedNginx, **kwargs: Any) -> httpx.Client:
    """A client that trusts only the test's self-signed certificate (so TLS really is checked)."""
    context = ssl.create_default_context(cafile=str(rendered.conf.parent / "certs" / "fullchain.pem"))
    return httpx.Client(base_url=rendered.url(8443), verify=context, timeout=40, **kwargs)


async def _admin(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def module_database_url(postgres_server_url: str, template_database: str) -> Iterator[str]:
    """One migrated database for the gateway copies this module's tests share."""
    name = f"clinic_nginx_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    yield with_database(postgres_server_url, name)
    asyncio.run(_admin(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def module_sms() -> Iterator[FakeSmsServer]:
    with fake_sms_server() as fake:
        yield fake


def gateway_env(database_url: str, redis_url: str, inference_target: str, sms_url: str) -> dict[str, str]:
    """What every copy of one deployment shares (a Redis prefix included)."""
    return {
        "DATABASE_URL": runtime_url(database_url),
        "REDIS_URL": redis_url,
        "INFERENCE_TARGET": inference_target,
        "SMS_BASE_URL": sms_url,
        "OTP_SECRET": OTP_SECRET,
        "APP_ENV": "development",
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="module")
def two_gateways(
    nginx: str,
    module_database_url: str,
    redis_url: str,
    inference_server: InferenceProcess,
    module_sms: FakeSmsServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, GatewayProcess]]:
    env = gateway_env(module_database_url, redis_url, inference_server.target, module_sms.url)
    with running_gateways(["a", "b"], env=env, log_dir=tmp_path_factory.mktemp("gateways")) as gateways:
        yield gateways


@pytest.fixture
def proxy(nginx: str, two_gateways: dict[str, GatewayProcess], tmp_path: Path) -> Iterator[RenderedNginx]:
    """A fresh nginx (its own logs and rate-limit state) in front of the two shared copies."""
    upstreams = [g.address for g in two_gateways.values()]
    with running_nginx(nginx, render_nginx(tmp_path, upstreams=upstreams, listen=loopback_ports())) as rendered:
        yield rendered


# --- the production files, as nginx reads them ---------------------------------------------------


def test_production_config_passes_nginx_t(nginx: str, tmp_path: Path) -> None:
    # Only paths and the `gateway` host name change (nothing resolves `gateway` outside Docker).
    result = nginx_test(nginx, render_nginx(tmp_path, upstreams=["127.0.0.1:8000"]))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_t_catches_a_broken_proxy_rule(nginx: str, tmp_path: Path) -> None:
    rendered = render_nginx(tmp_path, upstreams=["127.0.0.1:8000"])
    snippet = rendered.conf.parent / "snippets" / "clinic-proxy.conf"
    snippet.write_text(snippet.read_text().replace("http_503 non_idempotent", "http_503 non_idempotent sometimes"))
    result = nginx_test(nginx, rendered)
    assert result.returncode != 0 and "sometimes" in result.stderr


def test_production_proxy_rules_are_the_ones_asked_for() -> None:
    """Read without nginx, so these hold on every machine."""
    main = (NGINX_SOURCE / "nginx.conf").read_text()
    site = (NGINX_SOURCE / "conf.d" / "clinic-assistant.conf").read_text()
    proxy = (NGINX_SOURCE / "snippets" / "clinic-proxy.conf").read_text()
    assert re.search(r"limit_req_zone \$binary_remote_addr zone=per_client_ip:\d+m rate=\d+r/s;", main)
    assert "limit_req zone=per_client_ip" in site
    assert re.search(r"ssl_certificate /etc/nginx/certs/\S+;", site) and "ssl_protocols TLSv1.2 TLSv1.3;" in site
    assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in proxy
    assert "proxy_set_header X-Request-ID $clinic_request_id;" in proxy
    # The gateway trusts X-Forwarded-For for per-address limits: nginx must overwrite it, never append to
    # what a client wrote.
    for config in (proxy, site):
        assert "$proxy_add_x_forwarded_for" not in config
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    for directive in ("client_max_body_size", "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"):
        assert re.search(rf"^\s*{directive} \S+;", proxy, re.MULTILINE), directive
    assert "server gateway:8000" in site
    # The staff console is served by the gateway on the public side: nothing in front of it answers for it.
    assert not re.search(r"location\s+[=~^]*\s*/console", site + proxy)


# --- live: nginx over HTTPS in front of two gateway copies -----------------------------------------


def test_requests_over_https_are_spread_across_both_gateways(
    proxy: RenderedNginx, two_gateways: dict[str, GatewayProcess]
) -> None:
    probes = [f"spread-{i}-{uuid.uuid4().hex[:8]}" for i in range(20)]
    with https_client(proxy) as client:
        for probe in probes:
            answer = client.get(f"/health?probe={probe}", headers={"X-Request-ID": probe})
            assert answer.status_code == 200, answer.text
            assert answer.headers["x-request-id"] == probe

    entries = proxy.access_entries(until=logged(probes))
    served_by = {entry["request_id"]: entry["upstream_addr"] for entry in entries}
    a, b = two_gateways["a"], two_gateways["b"]
    assert {served_by[p] for p in probes} == {a.address, b.address}
    # Each gateway's own access log agrees with nginx about who answered what.
    logs = {g.address: g.log() for g in (a, b)}
    for probe in probes:
        assert f"probe={probe}" in logs[served_by[probe]]
        assert f"probe={probe}" not in logs[({a.address, b.address} - {served_by[probe]}).pop()]


def test_chat_through_nginx_keeps_the_callers_request_id(
    proxy: RenderedNginx, module_database_url: str, two_gateways: dict[str, GatewayProcess]
) -> None:
    key = asyncio.run(_api_key(module_database_url))
    request_id = f"chat-{uuid.uuid4().hex}"
    body = {"messages": [{"role": "user", "content": "Hola, buenos días"}], "user_id": "+59170000011"}
    with https_client(proxy) as client:
        answer = client.post("/chat", json=body, headers={"X-API-Key": key, "X-Request-ID": request_id})
        no_id = client.get("/health")

    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == request_id and answer.json()["request_id"] == request_id
    # Without one, nginx makes the id, passes it on, logs it, and the gateway uses it.
    generated = no_id.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert generated in {entry["request_id"] for entry in proxy.access_entries(until=logged([generated]))}


def test_edge_rules_redirect_refuse_big_bodies_and_hide_metrics(proxy: RenderedNginx) -> None:
    redirect = httpx.get(proxy.url(8080) + "/chat?x=1", follow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["location"].startswith("https://") and redirect.headers["location"].endswith("/chat?x=1")

    with https_client(proxy) as client:
        too_big = client.post("/chat", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"})
        metrics = client.get("/metrics")
        health = client.get("/health")
        reminders = client.post("/webhook/clinic-notifications", json={"type": "template"})
    assert too_big.status_code == 413
    assert metrics.status_code == 404
    assert reminders.status_code == 404  # n8n's webhook that sends as the clinic: inside the box only
    assert health.headers["strict-transport-security"].startswith("max-age=")
    uris = {"/chat", "/metrics", "/health", "/webhook/clinic-notifications"}
    entries = proxy.access_entries(until=lambda es: uris <= {e["uri"] for e in es})
    upstreams = {e["uri"]: e["upstream_addr"] for e in entries}
    assert upstreams["/chat"] == "" and upstreams["/metrics"] == ""  # neither reached a gateway
    assert upstreams["/webhook/clinic-notifications"] == ""  # nor n8n


def test_a_flood_from_one_address_is_cut_with_429(proxy: RenderedNginx) -> None:
    # 200 requests at once from one address: past the burst (60) and the rate (30/s), nginx answers 429
    # itself. A 404 path keeps the requests that do pass cheap for the gateways.
    started = time.monotonic()
    with https_client(proxy) as client, ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(lambda _: client.get("/no-such-route").status_code, range(200)))
    elapsed = time.monotonic() - started
    assert set(statuses) == {404, 429}
    passed = statuses.count(404)
    assert passed >= 50  # the burst goes through
    assert passed <= 61 + 30 * elapsed + 5, f"{passed} passed in {elapsed:.1f} s: the limit is not applied"
    cut = [e for e in proxy.access_entries(until=lambda es: len(es) >= 200) if e["status"] == 429]
    assert cut and all(e["upstream_addr"] == "" for e in cut)  # refused before any gateway saw them


async def _api_key(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return (await create_api_key(conn, name="nginx test", scopes={"chat"})).secret
    finally:
        await conn.close()


async def _staff_user(database_url: str, email: str, password: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await admin.create(
            conn, email=email, full_name="Ana Pérez", role="recepcion", doctor_id=None, password=password
        )
    finally:
        await conn.close()


def test_the_console_signs_in_over_https_with_a_secure_cookie(proxy: RenderedNginx, module_database_url: str) -> None:
    email, password = f"ana-{uuid.uuid4().hex[:8]}@clinica.bo", "correcto-caballo-bateria"
    asyncio.run(_staff_user(module_database_url, email, password))
    with https_client(proxy) as client:
        form = client.get("/console/login", headers={"accept": "text/html"})
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert form.status_code == 200 and csrf is not None
        signed = client.post("/console/login", data={"email": email, "password": password, "csrf": csrf.group(1)})
        home = client.get("/console/", headers={"accept": "text/html"})

    assert signed.status_code == 303, signed.text
    # The gateway saw plain HTTP from nginx; X-Forwarded-Proto told it the browser spoke HTTPS.
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("console_session="))
    assert "; secure" in cookie.lower() and "httponly" in cookie.lower()
    assert home.status_code == 200 and "Hola, Ana Pérez" in home.text
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]


# --- live: one copy dies while requests flow ----------------------------------------------------------


def test_killing_a_gateway_mid_stream_loses_no_request(
    nginx: str,
    database_url: str,
    redis_url: str,
    inference_server: InferenceProcess,
    module_sms: FakeSmsServer,
    tmp_path: Path,
) -> None:
    """Requests nginx had sent to the dead copy are retried on the other; none gets an error status.

    One thing nginx cannot retry: a response whose headers it had already passed on when the copy
    died (uvicorn writes the headers, then the body). The caller sees that connection cut, and
    retries with the same X-Request-ID, as n8n does (retryOnFail); only requests that were in
    flight on the killed copy may need that.
    """
    env = gateway_env(database_url, redis_url, inference_server.target, module_sms.url)
    total, kill_after, concurrency = 120, 30, 4
    with running_gateways(["a", "b"], env=env, log_dir=tmp_path) as gateways:
        a, b = gateways["a"], gateways["b"]
        rendered = render_nginx(tmp_path / "nginx", upstreams=[a.address, b.address], listen=loopback_ports())
        with running_nginx(nginx, rendered):
            done = threading.Semaphore(0)
            local = threading.local()
            cut: list[tuple[str, str]] = []

            def send(i: int) -> tuple[str, int]:
                if not hasattr(local, "client"):
                    local.client = https_client(rendered)
                probe = f"stream-{i:03d}-{uuid.uuid4().hex[:8]}"
                time.sleep(0.15)  # about 25 requests/s in all: under the per-address limit (30 r/s)
                try:
                    for _ in range(2):
                        try:
                            answer = local.client.get(f"/health?probe={probe}", headers={"X-Request-ID": probe})
                            return probe, answer.status_code
                        except httpx.TransportError as exc:
                            cut.append((probe, type(exc).__name__))
                    return probe, 0
                finally:
                    done.release()

            with ThreadPoolExecutor(concurrency) as pool:
                results = pool.map(send, range(total))
                for _ in range(kill_after):
                    assert done.acquire(timeout=60)
                b.kill()  # while other requests are in flight or queued
                answers = list(results)

    assert b.process.returncode == -9
    assert [status for _, status in answers] == [200] * total
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in rendered.access_entries(until=logged(probe for probe, _ in answers)):
        entries.setdefault(entry["request_id"], []).append(entry)
    # The copy nginx chose first for each early request ("b, a" when one of them was still in flight on b
    # at the kill and retried on a).
    first = {entries[probe][0]["upstream_addr"].split(", ")[0] for probe, _ in answers[:kill_after]}
    assert first == {a.address, b.address}  # both were sent requests before the kill
    # Requests nginx sent to the dead copy were retried on the living one, invisibly to the caller.
    retried = [e for es in entries.values() for e in es if e["upstream_addr"] == f"{b.address}, {a.address}"]
    assert retried, "no request was retried: the kill did not happen mid-stream"
    assert all(e["status"] == 200 and e["upstream_status"].endswith("200") for e in retried)
    # Cut connections: only responses the killed copy had begun, at most one per request in flight.
    assert len(cut) <= concurrency, cut
    for probe, _ in cut:
        assert entries[probe][0]["upstream_addr"] == b.address and entries[probe][-1]["status"] == 200
    assert entries[answers[-1][0]][-1]["upstream_addr"].endswith(a.address)


def test_a_chat_post_in_flight_on_a_killed_gateway_is_answered_by_another(
    nginx: str,
    database_url: str,
    redis_url: str,
    inference_server: InferenceProcess,
    module_sms: FakeSmsServer,
    tmp_path: Path,
) -> None:
    """non_idempotent: the POST had reached copy b (its message stored) when b died; copy a answers it."""
    # b's model calls hang: its inference address accepts connections and never answers.
    with socket.create_server(("127.0.0.1", 0)) as black_hole:
        slow = {"INFERENCE_TARGET": f"127.0.0.1:{black_hole.getsockname()[1]}", "INFERENCE_TIMEOUT_SECONDS": "60"}
        slow |= {"REQUEST_DEADLINE_SECONDS": "60", "HEALTH_TIMEOUT_SECONDS": "0.5"}
        env = gateway_env(database_url, redis_url, inference_server.target, module_sms.url)
        key = asyncio.run(_api_key(database_url))
        with running_gateways(["a", "b"], env=env, log_dir=tmp_path, overrides={"b": slow}) as gateways:
            a, b = gateways["a"], gateways["b"]
            # Round robin starts with the first server listed: b gets the first request.
            rendered = render_nginx(tmp_path / "nginx", upstreams=[b.address, a.address], listen=loopback_ports())
            with running_nginx(nginx, rendered), ThreadPoolExecutor(1) as pool:
                request_id = f"inflight-{uuid.uuid4().hex}"
                body = {
                    "messages": [{"role": "user", "content": "me gusta mucho el fútbol"}],
                    "user_id": "+59170000012",
                }
                with https_client(rendered) as client:
                    pending = pool.submit(
                        client.post, "/chat", json=body, headers={"X-API-Key": key, "X-Request-ID": request_id}
                    )
                    _wait_for_inbound(database_url, request_id)  # b has it and is waiting on its model
                    time.sleep(0.3)
                    assert not pending.done(), "copy b answered before it could be killed"
                    b.kill()
                    answer = pending.result(timeout=60)

    assert answer.status_code == 200, answer.text
    assert answer.json()["request_id"] == request_id
    (entry,) = [e for e in rendered.access_entries(until=logged([request_id])) if e["request_id"] == request_id]
    assert entry["upstream_addr"] == f"{b.address}, {a.address}"
    assert entry["upstream_status"].endswith("200")


def _wait_for_inbound(database_url: str, request_id: str) -> None:
    async def stored() -> bool:
        conn = await asyncpg.connect(database_url)
        try:
            return bool(await conn.fetchval("SELECT count(*) FROM messages WHERE request_id = $1", request_id))
        finally:
            await conn.close()

    deadline = time.monotonic() + 30
    while not asyncio.run(stored()):
        assert time.monotonic() < deadline, "the chat request never reached a gateway"
        time.sleep(0.05)
