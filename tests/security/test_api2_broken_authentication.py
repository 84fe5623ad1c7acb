"""OWASP API2:2023 Broken Authentication.

Attacks held here:
- an impersonator who knows only a patient's phone number answers the identity question with that
  number's last 4 digits: the default question is the date of birth on file, which the number does not reveal;
- guessing the date of birth: wrong answers lock the question and hand over to a person, with no SMS sent.
"""

from __future__ import annotations

import asyncpg
import httpx

from appointments import demo
from appointments.demo import seed_demo_clinic
from tests.gateway.conftest import MakeClient
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient

MARIA = demo.MARIA


async def test_the_phones_last_four_digits_do_not_pass_the_identity_question(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client()
    impostor = ChatPatient(gateway, api_key, MARIA.phone, sms)

    asked = await impostor.say("mis citas")
    assert asked["action"] == "verification_required"
    assert "fecha de nacimiento" in asked["response"]
    for answer in (MARIA.phone[-4:], f"son {MARIA.phone[-4:]}", MARIA.phone):
        reply = await impostor.say(answer)
        assert reply["action"] == "verification_required", reply
        assert reply["verified"] is False
        assert "código" not in reply["response"]

    assert sms.received == []


async def test_the_right_date_of_birth_passes_and_wrong_ones_hand_over_to_a_person(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client()
    impostor = ChatPatient(gateway, api_key, demo.JUAN.phone, sms)
    await impostor.say("mis citas")
    for guess in ("01/01/1980", "15 de mayo de 1975"):
        assert "no coincide" in (await impostor.say(guess))["response"]
    locked = await impostor.say("04/11/1987")
    assert locked["action"] == "human_handoff"
    assert "bloqueada" in (await impostor.say("mis citas"))["response"]  # the right one is too late now
    assert "código" not in (await impostor.say(demo.JUAN.date_of_birth.strftime("%d/%m/%Y")))["response"]
    assert sms.received == []

    maria = ChatPatient(gateway, api_key, MARIA.phone, sms)
    listed = await maria.verify("mis citas", f"{MARIA.date_of_birth.day} de marzo de {MARIA.date_of_birth.year}")
    assert listed["action"] == "list_appointments"


async def test_clinics_that_insist_may_ask_for_the_last_four_digits(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client(KNOWLEDGE_CHECK="last4")
    maria = ChatPatient(gateway, api_key, MARIA.phone, sms)

    asked = await maria.say("mis citas")
    assert "últimos 4 dígitos" in asked["response"]
    assert "no coinciden" in (await maria.say("9999"))["response"]
    listed = await maria.verify("mis citas", MARIA.phone[-4:])

    assert listed["action"] == "list_appointments"
    detail = await conn.fetchval(
        "SELECT detail->>'method' FROM audit_log WHERE action = 'verification.identity' AND outcome = 'success'"
    )
    assert detail == "last4"
