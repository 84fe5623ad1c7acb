"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows.

Attacks held here (SMS pumping: the clinic pays for every code it texts):
- an unregistered number of another country, or a premium-rate one, walks through registration to make
  the gateway text it: it is never sent an SMS or offered registration, and a person takes over;
- a patient the clinic registered with a foreign number asks for their data: a person, never an SMS abroad;
- one chat key (a leaked n8n key, a misbehaving integration) registers number after number: its daily
  SMS budget stops it, and other keys keep theirs;
- many keys together: the clinic's daily SMS budget stops them all.

Hoarding appointments:
- a verified patient (or whoever holds their phone) books slot after slot: at most MAX_UPCOMING_APPOINTMENTS
  upcoming appointments per patient, counted under a lock on the patient in the booking transaction, so a
  booking that races another is refused too; the patient is told why in Spanish and offered their list,
  a cancellation or a change instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from appointments import booking, demo
from appointments.availability import free_slots
from appointments.demo import seed_demo_clinic
from appointments.repository import register_patient
from gateway.security.api_keys import create_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.clinic import ZONE
from tests.support.gateway import MakeClient


async def _register(stranger: ChatPatient) -> dict[str, Any]:
    """Walk an unknown phone through registration up to the point where a code would be texted."""
    await stranger.say("quiero una cita de odontología")
    await stranger.say("sí")
    await stranger.say("Pedro Alanoca Mamani")
    await stranger.say("15 de agosto de 1990")
    return await stranger.say("1234567 LP")


async def _chat_key(conn: asyncpg.Connection, name: str) -> str:
    return (await create_api_key(conn, name=name, scopes={"chat"})).secret


async def _metric(gateway: httpx.AsyncClient, outcome: str) -> float:
    scrape = (await gateway.get("/metrics")).text
    line = f'sms_sends_total{{outcome="{outcome}"}} '
    return next((float(row.removeprefix(line)) for row in scrape.splitlines() if row.startswith(line)), 0.0)


@pytest.mark.parametrize(
    "phone",
    [
        "+12692345678",  # the measured attack: a United States number
        "+19002345678",  # premium rate: the sender pays the attacker
        "+2693212345",  # Comoros, a favourite of SMS pumping
    ],
)
async def test_a_number_from_another_country_is_never_texted_and_gets_a_person(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, phone: str
) -> None:
    gateway = await make_client()
    stranger = ChatPatient(gateway, api_key, phone, sms)

    first = await stranger.say("quiero una cita de odontología")
    assert first["action"] == "human_handoff"
    assert "persona de nuestro equipo" in first["response"]
    assert "registr" not in first["response"]
    await _register(stranger)

    assert sms.received == []
    assert all("código" not in reply["response"] for reply in stranger.replies)
    reason = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", phone)
    assert reason == "human_handoff"
    assert await conn.fetchval("SELECT count(*) FROM patients WHERE phone = $1", phone) == 0
    assert await _metric(gateway, "country_refused") >= 1


async def test_a_registered_patient_with_a_foreign_number_gets_a_person_and_no_sms(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    phone = "+5491123456789"  # an Argentine mobile, registered at the front desk
    await register_patient(
        conn, phone=phone, full_name="Lucía Gómez", document_number="30123456", date_of_birth=date(1990, 1, 2)
    )
    gateway = await make_client()
    patient = ChatPatient(gateway, api_key, phone, sms)

    asked = await patient.say("mis citas")
    answered = await patient.say("02/01/1990")

    assert asked["action"] == "human_handoff" and "fecha de nacimiento" not in asked["response"]
    assert answered["verified"] is False
    assert sms.received == []


async def test_a_chat_keys_daily_sms_budget_stops_its_sends_and_spares_other_keys(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    gateway = await make_client(SMS_DAILY_BUDGET_PER_KEY=2, SMS_DAILY_BUDGET_TOTAL=100)
    for n in range(2):
        sent = await _register(ChatPatient(gateway, api_key, f"+5917100000{n}", sms))
        assert "código" in sent["response"], sent

    refused = await _register(ChatPatient(gateway, api_key, "+59171000009", sms))

    assert refused["action"] == "human_handoff"
    assert "no podemos enviarle el código" in refused["response"]
    assert len(sms.received) == 2
    assert await _metric(gateway, "limited_key") == 1
    other_key = await _chat_key(conn, "another integration")
    sent = await _register(ChatPatient(gateway, other_key, "+59171000009", sms))
    assert "código" in sent["response"], sent
    assert [r.body["to"] for r in sms.received] == ["+59171000000", "+59171000001", "+59171000009"]


async def test_the_clinics_daily_sms_budget_stops_every_key(
    make_client: MakeClient, conn: asyncpg.Connection, sms: FakeSmsServer
) -> None:
    gateway = await make_client(SMS_DAILY_BUDGET_PER_KEY=100, SMS_DAILY_BUDGET_TOTAL=3)
    keys = [await _chat_key(conn, f"integration {n}") for n in range(5)]

    answers = [await _register(ChatPatient(gateway, key, f"+5917200000{n}", sms)) for n, key in enumerate(keys)]

    assert len(sms.received) == 3
    assert [a["action"] for a in answers[3:]] == ["human_handoff", "human_handoff"]
    assert await _metric(gateway, "limited_total") == 2


async def _book_first_offer(patient: ChatPatient) -> dict[str, Any]:
    offered = await patient.say("quiero una cita con pediatría")
    assert len(offered["options"]) == 3, offered
    assert "Confirma" in (await patient.say("1"))["response"]
    return await patient.say("sí")


async def test_a_patient_cannot_hold_more_upcoming_appointments_than_the_limit(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway = await make_client()  # MAX_UPCOMING_APPOINTMENTS: 3 by default
    maria = ChatPatient(gateway, api_key, demo.MARIA.phone, sms)
    await maria.verify("hola, quiero ver mis citas", demo.MARIA.date_of_birth.strftime("%d/%m/%Y"))
    for _ in range(2):
        assert (await _book_first_offer(maria))["action"] == "schedule_appointment"
    # A third is on its way to "sí" when another booking (another copy, the front desk) takes the last place.
    await maria.say("quiero una cita con pediatría")
    assert "Confirma" in (await maria.say("1"))["response"]
    patient_id = await conn.fetchval("SELECT id FROM patients WHERE phone = $1", demo.MARIA.phone)
    tz = ZoneInfo("America/La_Paz")
    now = datetime.now(tz)
    [elsewhere] = await free_slots(
        conn,
        first_day=now.date() + timedelta(days=20),
        last_day=now.date() + timedelta(days=30),
        now=now,
        doctor_id=await conn.fetchval("SELECT id FROM doctors WHERE full_name = 'Dra. Carmen Quispe'"),
        patient_id=patient_id,
        tz=tz,
        limit=1,
    )
    await booking.book(
        conn, patient_id=patient_id, doctor_id=elsewhere.doctor_id, starts_at=elsewhere.starts_at, now=now, tz=ZONE
    )

    refused = await maria.say("sí")

    assert refused["action"] == "none" and refused["appointment"] is None, refused
    assert "Ya tiene 3 citas próximas" in refused["response"]
    assert [o["id"] for o in refused["options"]] == ["mis citas", "cancelar una cita", "cambiar una cita"]
    booked = "SELECT count(*) FROM appointments WHERE patient_id = $1 AND status = 'booked'"
    assert await conn.fetchval(booked, patient_id) == 3
    limited = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'appointment.booked' AND outcome = 'limited'"
    )
    assert limited == 1
    # Asking again is answered at once, before any slot is offered; the offered ways out work.
    again = await maria.say("quiero otra cita con cardiología")
    assert "Ya tiene 3 citas próximas" in again["response"] and again["options"], again
    listed = await maria.say(again["options"][0]["id"])
    assert listed["action"] == "list_appointments" and listed["response"].count("Dra. Lucía Vargas") == 2
    await maria.say("cancelar una cita")
    await maria.say("1")
    assert (await maria.say("sí"))["action"] == "cancel_appointment"
    assert (await _book_first_offer(maria))["action"] == "schedule_appointment"
    assert await conn.fetchval(booked, patient_id) == 3
