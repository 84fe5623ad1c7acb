"""A patient's messages take turns; impersonal small-talk replies are cached, and nothing else is."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import asyncpg
import httpx
import redis.asyncio as redis

from tests.support.fake_inference import fake_inference_server
from tests.support.gateway import MakeClient


def body(text: str, user_id: str = "+59170000001") -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": user_id}


async def test_two_messages_at_once_on_two_gateways_are_answered_one_after_the_other(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    first, second = await make_client(), await make_client()
    headers = {"X-API-Key": api_key}

    for _ in range(3):
        await asyncio.gather(
            first.post("/chat", json=body("¿Tienen estacionamiento?"), headers=headers),
            second.post("/chat", json=body("¿Atienden los sábados?"), headers=headers),
        )

    roles = [r["role"] for r in await conn.fetch("SELECT role FROM messages ORDER BY id")]
    assert roles == ["user", "assistant"] * 6
    assert await conn.fetchval("SELECT count(DISTINCT conversation_id) FROM messages") == 1


async def test_impersonal_small_talk_replies_are_cached_by_the_whole_history(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection, redis_url: str
) -> None:
    headers = {"X-API-Key": api_key}
    reply = "Me alegra verle de buen ánimo."

    async def ask(client: httpx.AsyncClient, phone: str) -> tuple[str, dict[str, object]]:
        answer = (await client.post("/chat", json=body("está lloviendo fuerte", phone), headers=headers)).json()
        meta = await conn.fetchval(
            "SELECT meta FROM messages WHERE conversation_id = $1 AND role = 'assistant'",
            UUID(answer["conversation_id"]),
        )
        return answer["response"], json.loads(meta)

    with fake_inference_server(lambda turns: reply) as model:
        client = await make_client(INFERENCE_TARGET=model.target)
        first, meta = await ask(client, "+59170000001")
        second, cached = await ask(client, "+59171110000")

    assert (first, meta["source"], meta["cached"]) == (reply, "model", True)
    assert cached["source"] == "cache"
    assert second == first
    assert len(model.requests) == 1  # the second patient's reply came from the cache


async def test_transactional_turns_are_never_cached(make_client: MakeClient, api_key: str, redis_url: str) -> None:
    client = await make_client()
    headers = {"X-API-Key": api_key}
    await client.post("/chat", json=body("quiero ver mis citas"), headers=headers)
    await client.post("/chat", json=body("me duele el pecho y no puedo respirar"), headers=headers)

    health = await client.get("/health")
    assert health.status_code == 200
    settings = client._transport.app.state.services.settings  # type: ignore[attr-defined]
    store = redis.Redis.from_url(redis_url)
    try:
        assert await store.keys(f"{settings.redis_key_prefix}:reply:*") == []
    finally:
        await store.aclose()
