"""A real gateway app on real Postgres, Redis and gRPC inference, driven over ASGI."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.security.api_keys import create_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server
from tests.support.gateway import MakeClient, gateway_settings
from tests.support.services import InferenceProcess, free_port


@pytest.fixture
def sms() -> Iterator[FakeSmsServer]:
    """The SMS provider: a local HTTP server that records every text it is asked to send."""
    with fake_sms_server() as fake:
        yield fake


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
