from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx

from gateway.conversation import replies
from gateway.schemas import ChatResponse
from tests.support.gateway import MakeClient
from tests.support.long_messages import VOICE_NOTE
from tests.support.services import free_port, start_inference_process

PATIENT = "+59170123456"


def chat_body(text: str, user_id: str = PATIENT) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": user_id}


async def test_chat_round_trip_stores_both_messages(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    answer = await client.post("/chat", json=chat_body("Hola, buenos días"), headers={"X-API-Key": api_key})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["action"] == "none"
    assert body["response"].strip()
    assert answer.headers["X-Request-ID"] == body["request_id"]
    rows = await conn.fetch(
        "SELECT role, content, action, user_phone, request_id, meta FROM messages "
        "WHERE conversation_id = $1 ORDER BY id",
        UUID(body["conversation_id"]),
    )
    assert [(r["role"], r["content"]) for r in rows] == [("user", "Hola, buenos días"), ("assistant", body["response"])]
    assert {r["user_phone"] for r in rows} == {PATIENT}
    assert {r["request_id"] for r in rows} == {body["request_id"]}
    assert rows[1]["action"] == "none"


async def test_second_message_continues_the_conversation_with_history(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    headers = {"X-API-Key": api_key}
    # Small talk is answered by the model, with the history.
    first = (await client.post("/chat", json=chat_body("está lloviendo fuerte"), headers=headers)).json()
    second = (await client.post("/chat", json=chat_body("se me quemó el arroz"), headers=headers)).json()

    assert first["conversation_id"] == second["conversation_id"]
    assert await conn.fetchval("SELECT count(*) FROM messages") == 4
    prompt_tokens = await conn.fetch(
        "SELECT (meta->>'prompt_tokens')::int AS n FROM messages WHERE role = 'assistant' ORDER BY id"
    )
    # The second prompt carries the first exchange too.
    assert prompt_tokens[1]["n"] > prompt_tokens[0]["n"]


async def test_each_patient_has_their_own_conversation(client: httpx.AsyncClient, api_key: str) -> None:
    headers = {"X-API-Key": api_key}
    one = (await client.post("/chat", json=chat_body("Hola", "+59170000001"), headers=headers)).json()
    two = (await client.post("/chat", json=chat_body("Hola", "+59170000002"), headers=headers)).json()
    assert one["conversation_id"] != two["conversation_id"]


async def test_request_id_from_caller_is_kept(client: httpx.AsyncClient, api_key: str) -> None:
    answer = await client.post(
        "/chat", json=chat_body("Hola"), headers={"X-API-Key": api_key, "X-Request-ID": "n8n-exec-42"}
    )
    assert answer.json()["request_id"] == "n8n-exec-42"


async def test_inference_down_gets_a_polite_template_and_opens_the_breaker(
    make_client: MakeClient, dead_target: str, api_key: str, conn: asyncpg.Connection
) -> None:
    client = await make_client(
        INFERENCE_TARGET=dead_target, INFERENCE_TIMEOUT_SECONDS=2, RETRY_ATTEMPTS=2, BREAKER_FAIL_MAX=3
    )
    headers = {"X-API-Key": api_key}

    answers = [await client.post("/chat", json=chat_body("está lloviendo fuerte"), headers=headers) for _ in range(2)]

    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json()["response"] == replies.SAFE_FALLBACK
        assert answer.json()["action"] == "none"
    rows = await conn.fetch("SELECT role, content, meta FROM messages ORDER BY id")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert json.loads(rows[1]["meta"])["rejected"] == "inference_unavailable"
    # Two attempts per request: the third failed attempt opened the inference breaker.
    health = (await client.get("/health")).json()
    assert health["breakers"]["inference"] == "open"
    assert health["breakers"]["postgres"] == "closed"


async def test_emergency_is_answered_at_once_even_with_the_model_down(
    make_client: MakeClient, dead_target: str, api_key: str, conn: asyncpg.Connection
) -> None:
    client = await make_client(INFERENCE_TARGET=dead_target, EMERGENCY_NUMBER="118")
    text = "mi papá tiene dolor fuerte en el pecho y le falta el aire"

    answer = await client.post("/chat", json=chat_body(text), headers={"X-API-Key": api_key})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["action"] == "emergency"
    assert "118" in body["response"] and "emergencia" in body["response"]
    row = await conn.fetchrow(
        "SELECT needs_human_reason, needs_human_since FROM conversations WHERE id = $1", UUID(body["conversation_id"])
    )
    assert row is not None and row["needs_human_reason"] == "emergency" and row["needs_human_since"] is not None
    stored = await conn.fetch("SELECT role, action FROM messages ORDER BY id")
    assert [(r["role"], r["action"]) for r in stored] == [("user", None), ("assistant", "emergency")]


async def test_asking_for_a_person_hands_the_conversation_over(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    answer = await client.post(
        "/chat", json=chat_body("quiero hablar con una persona por favor"), headers={"X-API-Key": api_key}
    )

    body = answer.json()
    assert body["action"] == "human_handoff"
    reason = await conn.fetchval(
        "SELECT needs_human_reason FROM conversations WHERE id = $1", UUID(body["conversation_id"])
    )
    assert reason == "human_handoff"


async def test_a_denied_symptom_is_not_an_emergency(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    answer = await client.post(
        "/chat",
        json=chat_body("no tengo dolor de pecho, solo quiero saber los horarios"),
        headers={"X-API-Key": api_key},
    )

    assert answer.json()["action"] == "none"
    assert await conn.fetchval("SELECT count(*) FROM conversations WHERE needs_human_since IS NOT NULL") == 0


async def test_the_inference_breaker_recovers_when_the_server_comes_back(
    make_client: MakeClient, api_key: str, tiny_model: Path
) -> None:
    port = free_port()
    client = await make_client(
        INFERENCE_TARGET=f"127.0.0.1:{port}", RETRY_ATTEMPTS=1, BREAKER_FAIL_MAX=1, BREAKER_RESET_SECONDS=1
    )
    headers = {"X-API-Key": api_key}
    down = await client.post("/chat", json=chat_body("está lloviendo fuerte"), headers=headers)
    assert down.json()["response"] == replies.SAFE_FALLBACK
    assert (await client.get("/health")).json()["breakers"]["inference"] == "open"

    server = start_inference_process(tiny_model, port=port)
    try:
        # Bounded by time, not tries: on a loaded CI machine the server's start, or Postgres, can stall for a
        # while, and a turn caught in that stall is rightly answered 503; the breaker must close once it is over.
        deadline = time.monotonic() + 120
        while (await client.get("/ready")).status_code != 200:  # the channel reconnects within its short backoff
            assert time.monotonic() < deadline, "the inference server never became ready"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.1)  # the breaker's reset timeout
        while (
            back := await client.post("/chat", json=chat_body("se me quemó el arroz"), headers=headers)
        ).status_code != 200:
            assert back.status_code == 503, back.text
            assert time.monotonic() < deadline, back.text
            await asyncio.sleep(1.1)
        assert (await client.get("/health")).json()["breakers"]["inference"] == "closed"
    finally:
        server.stop()


async def test_a_message_as_long_as_whatsapp_allows_is_read_even_as_escaped_multibyte_json(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    headers = {"X-API-Key": api_key, "content-type": "application/json"}
    text = ((VOICE_NOTE + " 🙏 ") * 3)[:4096]
    # 4096 emoji with every one escaped as JSON allows (12 bytes each): the largest body one message makes.
    emoji = json.dumps(chat_body("🙏" * 4096)).encode()

    answer = await client.post("/chat", content=json.dumps(chat_body(text)).encode(), headers=headers)
    escaped = await client.post("/chat", content=emoji, headers=headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["response"] != replies.MESSAGE_TOO_LONG
    assert len(emoji) > 48 * 1024
    assert escaped.status_code == 200, escaped.text
    assert escaped.json()["response"] != replies.MESSAGE_TOO_LONG
    stored = await conn.fetch("SELECT content FROM messages WHERE role = 'user' ORDER BY id")
    assert [r["content"] for r in stored] == [text.strip(), "🙏" * 4096]


async def test_a_message_over_4096_characters_gets_a_polite_answer_and_leaves_the_dialog_where_it_was(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    headers = {"X-API-Key": api_key}
    offered = (await client.post("/chat", json=chat_body("quiero una cita"), headers=headers)).json()
    assert offered["action"] == "verification_required", offered

    answer = await client.post("/chat", json=chat_body("a" * 4000 + " quiero una cita " * 10), headers=headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == set(ChatResponse.model_fields)
    assert (body["response"], body["action"], body["options"], body["appointment"]) == (
        replies.MESSAGE_TOO_LONG,
        "none",
        [],
        None,
    )
    assert body["conversation_id"] == offered["conversation_id"]
    stored = await conn.fetchval("SELECT content FROM messages WHERE role = 'user' ORDER BY id DESC LIMIT 1")
    assert len(stored) == 4096
    # The registration offer still waits for its answer.
    after = (await client.post("/chat", json=chat_body("sí"), headers=headers)).json()
    assert "nombre completo" in after["response"], after
