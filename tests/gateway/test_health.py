from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx

from devstack.embedded import embedded_postgres, embedded_redis
from tests.support.gateway import MakeClient
from tests.support.services import start_inference_process


async def test_health_is_ok_when_every_dependency_answers(client: httpx.AsyncClient) -> None:
    answer = await client.get("/ready")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok", "inference": "ok"}}


async def test_health_names_unreachable_inference(make_client: MakeClient, dead_target: str) -> None:
    client = await make_client(INFERENCE_TARGET=dead_target)
    answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"postgres": "ok", "redis": "ok", "inference": "unavailable"}


async def test_health_follows_an_inference_server_that_stops(make_client: MakeClient, tiny_model: Path) -> None:
    server = start_inference_process(tiny_model)
    try:
        client = await make_client(INFERENCE_TARGET=server.target)
        assert (await client.get("/ready")).json()["checks"]["inference"] == "ok"
    finally:
        server.stop()
    answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"]["inference"] == "unavailable"


async def test_health_follows_a_redis_that_stops(make_client: MakeClient, tmp_path: Path) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(embedded_redis(tmp_path / "redis.db"))
        client = await make_client(REDIS_URL=url)
        assert (await client.get("/ready")).status_code == 200
    answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"postgres": "ok", "redis": "unavailable", "inference": "ok"}


async def test_postgres_that_stops_is_reported_and_chat_answers_503(make_client: MakeClient, tmp_path: Path) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(embedded_postgres(tmp_path / "pg"))
        client = await make_client(DATABASE_URL=url)
        assert (await client.get("/ready")).status_code == 200
    answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"]["postgres"] == "unavailable"

    chat = await client.post(
        "/chat",
        json={"messages": [{"role": "user", "content": "Hola"}], "user_id": "+59170123456"},
        headers={"X-API-Key": "ck_abcdefgh_" + "x" * 43},
    )
    assert chat.status_code == 503
    assert chat.json()["error"]["code"] == "database_unavailable"
    # Three attempts per request: the second request opens the breaker; then /chat fails without trying.
    for _ in range(2):
        again = await client.post(
            "/chat",
            json={"messages": [{"role": "user", "content": "Hola"}], "user_id": "+59170123456"},
            headers={"X-API-Key": "ck_abcdefgh_" + "x" * 43},
        )
        assert again.status_code == 503
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["breakers"]["postgres"] == "open"
