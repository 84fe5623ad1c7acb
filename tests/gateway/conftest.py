"""A real gateway app on real Postgres, Redis and gRPC inference, driven over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.security.api_keys import create_api_key
from gateway.settings import Settings
from tests.conftest import InferenceProcess, free_port

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


def gateway_settings(database_url: str, redis_url: str, inference_target: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INFERENCE_TARGET": inference_target,
        "INFERENCE_TIMEOUT_SECONDS": 30,
        "HEALTH_TIMEOUT_SECONDS": 2,
        **overrides,
    }
    return Settings(**values)


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
    database_url: str, redis_url: str, inference_server: InferenceProcess
) -> AsyncIterator[MakeClient]:
    """Build gateway clients; keyword arguments override settings (e.g. a dead inference target)."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    async def make(**overrides: Any) -> httpx.AsyncClient:
        settings = gateway_settings(database_url, redis_url, inference_server.target, **overrides)
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
