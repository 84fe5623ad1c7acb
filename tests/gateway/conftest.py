"""A real gateway app on real Postgres, Redis and gRPC inference, driven over ASGI."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.security.api_keys import create_api_key
from gateway.settings import Settings
from tests.conftest import InferenceProcess, free_port, runtime_url
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


def gateway_settings(
    database_url: str, redis_url: str, inference_target: str, sms_url: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        # Test secrets are not production ones: development warns about them instead of refusing.
        "APP_ENV": "development",
        # The gateway logs in as the runtime role, as in production; `database_url` is the owner's.
        "DATABASE_URL": runtime_url(database_url),
        "REDIS_URL": redis_url,
        "INFERENCE_TARGET": inference_target,
        "INFERENCE_TIMEOUT_SECONDS": 30,
        "HEALTH_TIMEOUT_SECONDS": 2,
        "SMS_BASE_URL": sms_url,
        "SMS_API_TOKEN": "test-sms-token",
        "OTP_SECRET": "test-otp-secret-of-at-least-16-bytes",
        # Verification state lives in Redis by phone; a prefix per test keeps tests (and runs) apart.
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        # Scripted conversations type faster than patients; the rate-limit tests set their own limits.
        "RATE_LIMIT_USER_BURST": 1000,
        "RATE_LIMIT_KEY_BURST": 1000,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def sms() -> Iterator[FakeSmsServer]:
    """The SMS provider: a local HTTP server that records every text it is asked to send."""
    with fake_sms_server() as fake:
        yield fake


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to this test's database, for arranging and checking rows."""
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
async def api_key(conn: asyncpg.Connection) -> str:
    """A fresh key with the `chat` scope."""
    return (await create_api_key(conn, name="test n8n", scopes={"chat"})).secret


@pytest.fixture
async def make_client(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer
) -> AsyncIterator[MakeClient]:
    """Build gateway clients; keyword arguments override settings (e.g. a dead inference target).

    Clients built in one test share the Redis key prefix, as gateway copies of one deployment do.
    """
    opened: list[tuple[httpx.AsyncClient, Any]] = []
    prefix = f"test-{uuid.uuid4().hex}"

    async def make(**overrides: Any) -> httpx.AsyncClient:
        overrides.setdefault("REDIS_KEY_PREFIX", prefix)
        settings = gateway_settings(database_url, redis_url, inference_server.target, sms.url, **overrides)
        app = create_app(settings)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        opened.append((client, lifespan))
        return client

    yield make
    for client, lifespan in reversed(opened):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def client(make_client: MakeClient) -> httpx.AsyncClient:
    return await make_client()


@pytest.fixture
def dead_target() -> str:
    """An address where nothing listens."""
    return f"127.0.0.1:{free_port()}"
