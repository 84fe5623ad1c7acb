"""Retried deliveries of /chat: the same answer, nothing stored twice, on any gateway copy."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from gateway.security.api_keys import create_api_key
from tests.support.gateway import MakeClient

PATIENT = "+59170000001"


def body(text: str = "¿Tienen estacionamiento?", **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": PATIENT, **extra}


async def stored(conn: asyncpg.Connection) -> list[str]:
    return [r["role"] for r in await conn.fetch("SELECT role FROM messages ORDER BY id")]


async def test_a_retried_message_id_gets_the_same_answer_and_stores_nothing_twice(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    first, second = await make_client(), await make_client()
    headers = {"X-API-Key": api_key}
    original = await first.post("/chat", json=body(message_id="wamid.HBgM1"), headers=headers)
    retried = await second.post("/chat", json=body(message_id="wamid.HBgM1"), headers=headers)

    assert original.status_code == retried.status_code == 200
    assert retried.json() == original.json()
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in original.headers
    assert await stored(conn) == ["user", "assistant"]


async def test_a_retry_arriving_while_the_first_runs_waits_for_its_answer(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    first, second = await make_client(), await make_client()
    headers = {"X-API-Key": api_key, "Idempotency-Key": "n8n-exec-7"}

    answers = await asyncio.gather(
        first.post("/chat", json=body(), headers=headers), second.post("/chat", json=body(), headers=headers)
    )

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert await stored(conn) == ["user", "assistant"]


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    headers = {"X-API-Key": api_key, "Idempotency-Key": "k-1"}
    assert (await client.post("/chat", json=body(), headers=headers)).status_code == 200
    other = await client.post("/chat", json=body("¿Atienden los sábados?"), headers=headers)

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await stored(conn) == ["user", "assistant"]


async def test_header_and_message_id_must_agree(client: httpx.AsyncClient, api_key: str) -> None:
    answer = await client.post(
        "/chat", json=body(message_id="a"), headers={"X-API-Key": api_key, "Idempotency-Key": "b"}
    )
    assert answer.status_code == 422
    assert "differ" in answer.json()["error"]["message"]
    bad = await client.post("/chat", json=body(), headers={"X-API-Key": api_key, "Idempotency-Key": "con espacio"})
    assert bad.status_code == 422


async def test_a_refused_delivery_releases_its_key_for_the_retry(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    client = await make_client(RATE_LIMIT_USER_PER_MINUTE=20, RATE_LIMIT_USER_BURST=1)
    await client.post("/chat", json=body("Hola"), headers={"X-API-Key": api_key})
    headers = {"X-API-Key": api_key, "Idempotency-Key": "again"}

    refused = await client.post("/chat", json=body(), headers=headers)
    await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.1)
    retried = await client.post("/chat", json=body(), headers=headers)

    assert refused.status_code == 429
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
    assert await conn.fetchval("SELECT state FROM chat_requests WHERE idempotency_key = 'again'") == "done"


async def test_keys_are_scoped_to_the_api_key(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    other_key = (await create_api_key(conn, name="other n8n", scopes={"chat"})).secret
    for secret in (api_key, other_key):
        answer = await client.post("/chat", json=body(), headers={"X-API-Key": secret, "Idempotency-Key": "same"})
        assert answer.status_code == 200
        assert "Idempotent-Replayed" not in answer.headers
    assert await stored(conn) == ["user", "assistant"] * 2


async def test_a_claim_left_by_a_dead_gateway_is_taken_over(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    from gateway.idempotency import body_hash
    from gateway.schemas import ChatRequest

    key_id = await conn.fetchval("SELECT id FROM api_keys WHERE revoked_at IS NULL ORDER BY id LIMIT 1")
    await conn.execute(
        "INSERT INTO chat_requests (api_key_id, idempotency_key, body_hash, started_at) "
        "VALUES ($1, 'orphan', $2, now() - interval '1 minute')",
        key_id,
        body_hash(ChatRequest.model_validate(body()).model_dump(mode="json")),
    )
    answer = await client.post("/chat", json=body(), headers={"X-API-Key": api_key, "Idempotency-Key": "orphan"})
    assert answer.status_code == 200
    assert await conn.fetchval("SELECT state FROM chat_requests WHERE idempotency_key = 'orphan'") == "done"
