"""OWASP API10:2023 Unsafe Consumption of APIs.

Attacks held here:
- text that arrives through Meta's webhook (a third party's payload) carrying control characters, ANSI
  escapes and bidi overrides, to reach the conversation store, the model and staff screens unclean: the
  webhook cleans it with the very function `/chat` uses, and holds it to the same MAX_MESSAGE_CHARS (longer, it is
  not read: the patient is asked for a shorter one, and only what fits is stored).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import asyncpg
import pytest

from appointments.demo import seed_demo_clinic
from gateway.conversation import replies
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.gateway.test_whatsapp import MARIA, deliver, settled, text, whatsapp_settings
from tests.support.fake_inference import fake_inference_server
from tests.support.gateway import MakeClient

# Small talk, so the model is asked (a question about the clinic would be answered from its data).
HOSTILE = "\x1b[31mMi perrito\x00 se llama\u202e Toby\x07 y es\x9b muy juguetón\u2066\x7f\n"
CLEAN = "[31mMi perrito se llama Toby y es muy juguetón"


def polite_model(turns: Sequence[tuple[str, str]]) -> str:
    return "Con gusto le ayudo con su consulta."


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


async def user_messages(conn: asyncpg.Connection, phone: str) -> list[str]:
    rows = await conn.fetch("SELECT content FROM messages WHERE role = 'user' AND user_phone = $1 ORDER BY id", phone)
    return [r["content"] for r in rows]


async def test_webhook_text_is_cleaned_exactly_as_chat_cleans_it_before_it_is_stored_or_sent_on(
    make_client: MakeClient, graph: FakeGraphApi, conn: asyncpg.Connection, api_key: str
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(polite_model) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, **whatsapp_settings(graph))

        delivered = await deliver(gateway, text(MARIA, HOSTILE))
        assert delivered.status_code == 200
        await settled(conn, 1)
        posted = await gateway.post(
            "/chat",
            json={"messages": [{"role": "user", "content": HOSTILE}], "user_id": "+59170000002"},
            headers={"X-API-Key": api_key},
        )
        assert posted.status_code == 200, posted.text

    assert await user_messages(conn, f"+{MARIA}") == [CLEAN]
    assert await user_messages(conn, "+59170000002") == [CLEAN]
    # The model was asked once: /chat's cleaned text made the very same history, answered from the cache.
    assert model.requests == [[("user", CLEAN)]]


async def test_webhook_text_is_held_to_the_same_length_limit_as_chat(
    make_client: MakeClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await seed_demo_clinic(conn)
    with fake_inference_server(polite_model) as model:
        gateway = await make_client(INFERENCE_TARGET=model.target, MAX_MESSAGE_CHARS=20, **whatsapp_settings(graph))
        # Control characters do not count against the limit, as in /chat: the cleaned text is measured.
        await deliver(gateway, text(MARIA, "\x00" * 30 + "¿Tienen estacionamiento los sábados?"))
        await settled(conn, 1)

    assert await user_messages(conn, f"+{MARIA}") == ["¿Tienen estacionamie"]
    assert [sent.text for sent in graph.sent_to(MARIA)] == [replies.MESSAGE_TOO_LONG]
    assert model.requests == []
