"""OWASP API3:2023 Broken Object Property Level Authorization.

Attacks held here:
- a second patient writes the same last messages as a first one, whose earlier turns gave their name and
  where they live, to be sent the reply the model wrote for the first (the reply cache): only impersonal
  replies are cached, keyed by the whole history, and every reply is checked for the patient it goes to;
- a reply that names someone is never kept in Redis for others, and one with a number is never sent;
- a poisoned cache entry (one that names a stranger) is not sent, and is dropped;
- whoever reads the stored conversations (or the model, which is shown them) learns no SMS code, date of birth
  or carnet number: answers to verification questions are stored as [código], [fecha de nacimiento],
  [dígitos] and [documento].
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import asyncpg
import httpx
import pytest
import redis.asyncio as redis

from appointments.demo import seed_demo_clinic
from gateway.conversation import replies, repository
from gateway.conversation.reply_cache import ReplyCache
from gateway.inference_client import GenerationParameters
from gateway.settings import Settings
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.fake_inference import FAKE_MODEL_ID, FakeInference, fake_inference_server
from tests.support.gateway import MakeClient

MARIA = "+59170000001"  # demo patient María Fernanda López
JUAN = "+59170000002"  # demo patient Juan Carlos Condori


def remembering_model(turns: Sequence[tuple[str, str]]) -> str:
    """A model that, like DialoGPT, may repeat what it read earlier in the conversation."""
    said = [text for role, text in turns if role == "user"]
    introduced = [text.split("Soy ", 1)[1].split(",")[0] for text in said if "Soy " in text]
    last = said[-1]
    if "está lloviendo fuerte" in last:
        return "Me alegra verle de buen ánimo."
    if "me acordé" in last and introduced:
        return f"Usted es {introduced[0]}, es un gusto conversar con usted."
    if "me acordé" in last:
        return "Es un gusto conversar con usted."
    return "Con gusto le ayudo con su consulta."


@pytest.fixture
def model() -> Iterator[FakeInference]:
    with fake_inference_server(remembering_model) as fake:
        yield fake


async def cached_replies(redis_url: str, settings: Settings) -> list[bytes]:
    store: redis.Redis = redis.Redis.from_url(redis_url, decode_responses=False)
    try:
        keys = await store.keys(f"{settings.redis_key_prefix}:reply:*")
        return [value for key in keys if isinstance(value := await store.get(key), bytes)]
    finally:
        await store.aclose()


def gateway_settings(client: httpx.AsyncClient) -> Settings:
    settings: Settings = client._transport.app.state.services.settings  # type: ignore[attr-defined]
    return settings


async def test_second_patient_with_the_same_last_messages_never_gets_the_first_patients_words(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, model: FakeInference
) -> None:
    await seed_demo_clinic(conn)
    gateway = await make_client(INFERENCE_TARGET=model.target)
    juan = ChatPatient(gateway, api_key, JUAN, sms)
    maria = ChatPatient(gateway, api_key, MARIA, sms)

    await juan.say("Soy Juan Carlos Condori, vivo en Sopocachi. Qué risa")
    await maria.say("Qué risa")
    for patient in (juan, maria):
        await patient.say("está lloviendo fuerte")
    to_juan = await juan.say("me acordé de esta conversación")
    await maria.say("me acordé de esta conversación")

    # The first patient may hear their own name; the second hears neither it nor where they live.
    assert to_juan["response"] == "Usted es Juan Carlos Condori, es un gusto conversar con usted.", to_juan
    assert [r["response"] for r in maria.replies[-2:]] == [
        "Me alegra verle de buen ánimo.",
        "Es un gusto conversar con usted.",
    ]
    for reply in maria.replies:
        assert "Juan" not in reply["response"] and "Sopocachi" not in reply["response"], reply


async def test_replies_that_name_someone_are_never_cached_and_a_number_is_never_sent(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, redis_url: str
) -> None:
    await seed_demo_clinic(conn)

    def model(turns: Sequence[tuple[str, str]]) -> str:
        last = turns[-1][1]
        if "nombre" in last:
            return "María Fernanda, con gusto le ayudo."
        if "está lloviendo fuerte" in last:
            return "Jeje, somos 2 en recepción."
        if "cuénteme" in last:
            return "La doctora Vargas es muy amable."
        return "Con gusto le ayudo con su consulta."

    with fake_inference_server(model) as fake:
        gateway = await make_client(INFERENCE_TARGET=fake.target)
        maria = ChatPatient(gateway, api_key, MARIA, sms)
        named = await maria.say("mi nombre ya lo sabe")
        numbered = await maria.say("está lloviendo fuerte")
        doctor = await maria.say("cuénteme algo")
        plain = await maria.say("necesito ayuda con algo")

    # Each name was fit for María, so she was sent it, but none may be kept for anyone else; a number is
    # a clinic fact only the clinic's data may state, so the gate sends a template instead.
    assert named["response"] == "María Fernanda, con gusto le ayudo."
    assert numbered["response"] == replies.GATE_FALLBACKS[0]
    assert doctor["response"] == "La doctora Vargas es muy amable."
    assert plain["response"] == "Con gusto le ayudo con su consulta."
    assert await cached_replies(redis_url, gateway_settings(gateway)) == [b"Con gusto le ayudo con su consulta."]


async def test_a_cached_reply_that_names_a_stranger_is_not_sent_and_is_dropped(
    make_client: MakeClient,
    conn: asyncpg.Connection,
    api_key: str,
    sms: FakeSmsServer,
    redis_url: str,
    model: FakeInference,
) -> None:
    gateway = await make_client(INFERENCE_TARGET=model.target)
    settings = gateway_settings(gateway)
    cache = ReplyCache(redis.Redis.from_url(redis_url), prefix=settings.redis_key_prefix, ttl_seconds=60)
    parameters = GenerationParameters(
        max_new_tokens=settings.reply_max_new_tokens,
        temperature=settings.reply_temperature,
        top_p=settings.reply_top_p,
    )
    history = [("user", "está lloviendo fuerte")]
    key = cache.key(FAKE_MODEL_ID, history, parameters)
    store = redis.Redis.from_url(redis_url)
    try:
        # The gateway learns which model the server runs from its first answer.
        await ChatPatient(gateway, api_key, "+59170000124", sms).say("qué calor hace hoy")
        model.requests.clear()
        # Someone who reached Redis planted a reply that names another patient.
        await store.set(key, "Sí, Rosa Quiroga, su resultado de laboratorio ya está listo.")
        answer = await ChatPatient(gateway, api_key, "+59170000123", sms).say("está lloviendo fuerte")

        assert answer["response"] == replies.SAFE_FALLBACK
        assert await store.exists(key) == 0
        assert model.requests == []
    finally:
        await store.aclose()


async def test_codes_dates_of_birth_and_carnets_are_neither_stored_nor_shown_to_the_model(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, model: FakeInference
) -> None:
    await seed_demo_clinic(conn)
    gateway = await make_client(INFERENCE_TARGET=model.target)
    stranger = ChatPatient(gateway, api_key, "+59176543210", sms)
    await stranger.say("quiero una cita de odontología")
    await stranger.say("sí")
    await stranger.say("Pedro Alanoca Mamani")
    await stranger.say("nací el 15/08/1990")
    await stranger.say("7654321 LP")
    wrong = f"{(int(stranger.last_code()) + 1) % 1_000_000:06d}"
    assert "no es correcto" in (await stranger.say(wrong))["response"]
    assert (await stranger.say(f"es {stranger.last_code()}"))["verified"] is True
    maria = ChatPatient(gateway, api_key, MARIA, sms)
    await maria.verify("mis citas", "21 de mayo de 1987")
    await maria.say(f"me llegó otro código {maria.last_code()}")  # typed again, after the step
    for patient in (stranger, maria):
        await patient.say("está lloviendo fuerte")  # the model answers, reading the stored history

    secrets = [*stranger.codes(), *maria.codes(), wrong, "1990", "15/08", "7654321", "1987", "21 de mayo", "21/05"]
    rows = await conn.fetch(
        "SELECT m.conversation_id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.user_phone = ANY($1::text[])",
        [stranger.phone, maria.phone],
    )
    stored = " | ".join(r["content"] for r in rows)
    for secret in secrets:
        assert secret not in stored, (secret, stored)
    for marker in ("[fecha de nacimiento]", "[documento]", "[código]"):
        assert marker in stored
    for conversation_id in {r["conversation_id"] for r in rows}:
        history = await repository.recent_messages(conn, conversation_id=conversation_id, limit=50)
        assert not any(secret in m.content for m in history for secret in secrets)
    seen_by_model = " | ".join(text for turns in model.requests for _, text in turns)
    assert "está lloviendo fuerte" in seen_by_model
    for secret in secrets:
        assert secret not in seen_by_model, (secret, seen_by_model)
    registered = await conn.fetchrow(
        "SELECT date_of_birth, document_number FROM patients WHERE phone = $1", stranger.phone
    )
    assert (registered["date_of_birth"].isoformat(), registered["document_number"]) == ("1990-08-15", "7654321 LP")
