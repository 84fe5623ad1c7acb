"""OWASP API1:2023 Broken Object Level Authorization.

Attacks held here:
- a second chat API key claims a phone that another key verified, to read that patient's appointments:
  a verification holds only for the key (or WhatsApp number) that completed it;
- that second key writes in the middle of the patient's flow, to derail it or to have the model read her
  conversation back: each key has a conversation of its own.
"""

from __future__ import annotations

import asyncpg
import httpx

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.security.api_keys import create_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.gateway import MakeClient

MARIA = demo.MARIA.phone  # demo patient María Fernanda López
MARIA_IDENTITY = demo.MARIA.date_of_birth.strftime("%d/%m/%Y")


async def test_phone_verified_through_one_key_must_verify_again_through_another(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    other_key = (await create_api_key(conn, name="another integration", scopes={"chat"})).secret
    gateway: httpx.AsyncClient = await make_client()
    maria = ChatPatient(gateway, api_key, MARIA, sms)
    await maria.verify("quiero una cita con pediatría", MARIA_IDENTITY)
    assert "Confirma" in (await maria.say("1"))["response"]
    booked = await maria.say("sí")
    assert booked["action"] == "schedule_appointment", booked
    codes_sent = len(sms.received)

    impostor = ChatPatient(gateway, other_key, MARIA, sms)
    asked = await impostor.say("mis citas")

    assert asked["action"] == "verification_required", asked
    assert asked["verified"] is False
    assert asked["appointment"] is None
    assert "Lucía Vargas" not in asked["response"] and "Pediatría" not in asked["response"]
    assert len(sms.received) == codes_sent
    # The key that verified her still may.
    listed = await maria.say("mis citas")
    assert listed["action"] == "list_appointments" and "Lucía Vargas" in listed["response"], listed
    assert listed["verified"] is True


async def test_a_second_key_claiming_the_phone_gets_its_own_conversation_and_cannot_derail_hers(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    other_key = (await create_api_key(conn, name="another integration", scopes={"chat"})).secret
    gateway: httpx.AsyncClient = await make_client()
    maria = ChatPatient(gateway, api_key, MARIA, sms)
    offered = await maria.verify("quiero una cita con pediatría", MARIA_IDENTITY)
    assert offered["options"], offered

    impostor = ChatPatient(gateway, other_key, MARIA, sms)
    await impostor.say("mis citas")
    await impostor.say("hola, qué me dijeron hace un rato?")

    # Her flow is where she left it: the slot she picks is the one offered to her.
    confirm = await maria.say("1")
    assert "Confirma" in confirm["response"], confirm
    booked = await maria.say("sí")
    assert booked["action"] == "schedule_appointment", booked
    # Two conversations for one phone, and none of hers reached the other's history.
    mine, theirs = booked["conversation_id"], impostor.replies[-1]["conversation_id"]
    assert mine != theirs
    their_messages = await conn.fetch("SELECT content FROM messages WHERE conversation_id = $1", theirs)
    assert {m["content"] for m in their_messages} >= {"mis citas", "hola, qué me dijeron hace un rato?"}
    assert not any("pediatría" in m["content"].lower() for m in their_messages)
