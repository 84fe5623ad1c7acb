"""Scripted Spanish conversations through POST /chat, on real Postgres, Redis and a fake SMS provider."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from appointments import booking, demo, repository
from appointments.demo import seed_demo_clinic
from gateway.conversation import replies, wording
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.clock import NIGHT, open_zone, zone_at
from tests.support.gateway import MakeClient
from tests.support.long_messages import VOICE_NOTE

MARIA = demo.MARIA.phone  # demo patient María Fernanda López
JUAN = demo.JUAN.phone  # demo patient Juan Carlos Condori
STRANGER = "+59176543210"  # not registered


class Patient(ChatPatient):
    """A demo patient, who answers the identity question with the date of birth the seed registered."""

    def born(self) -> str:
        """The date of birth the demo seed registered for this phone, as a patient types it."""
        [patient] = [p for p in demo.PATIENTS if p.phone == self.phone]
        return patient.date_of_birth.strftime("%d/%m/%Y")

    async def verify(self, first_message: str, identity_answer: str | None = None) -> dict[str, Any]:
        """Say `first_message`, pass the date-of-birth and SMS code steps, and return the answer after them."""
        return await super().verify(first_message, identity_answer or f"nací el {self.born()}")


@pytest.fixture
async def seeded(conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)


@pytest.fixture
async def gateway(make_client: MakeClient, seeded: None) -> httpx.AsyncClient:
    return await make_client()


@pytest.fixture
def maria(gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer) -> Patient:
    return Patient(gateway, api_key, MARIA, sms)


@pytest.fixture
def juan(gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer) -> Patient:
    return Patient(gateway, api_key, JUAN, sms)


async def appointments_of(conn: asyncpg.Connection, phone: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.id, a.status, a.starts_at, d.full_name AS doctor FROM appointments a "
        "JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = a.doctor_id "
        "WHERE p.phone = $1 ORDER BY a.created_at",
        phone,
    )


async def audit_actions(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch("SELECT action, outcome FROM audit_log ORDER BY id")
    return [(r["action"], r["outcome"]) for r in rows]


async def book_first_offer(patient: Patient, request: str = "quiero una cita con pediatría") -> dict[str, Any]:
    offered = await patient.verify(request)
    assert len(offered["options"]) == 3, offered
    confirm = await patient.say("1")
    assert "Confirma" in confirm["response"], confirm
    return await patient.say("sí")


async def test_booking_end_to_end(maria: Patient, conn: asyncpg.Connection, sms: FakeSmsServer) -> None:
    hello = await maria.say("Hola, buenas tardes")
    assert hello["action"] == "none" and hello["verified"] is False

    offered = await maria.verify("kiero una sita con la pediatra")

    assert "Dra. Lucía Vargas" in offered["response"]
    assert [o["id"] for o in offered["options"]] == ["1", "2", "3"]
    assert sms.received[-1].headers["authorization"] == "Bearer test-sms-token"
    chosen = await maria.say("la 2")
    assert chosen["action"] == "none"
    assert "¿Confirma su cita con la Dra. Lucía Vargas (Pediatría)" in chosen["response"]
    booked = await maria.say("si, por favor")

    assert booked["action"] == "schedule_appointment", booked
    appointment = booked["appointment"]
    assert appointment["doctor"] == "Dra. Lucía Vargas"
    assert appointment["specialty"] == "Pediatría"
    assert appointment["status"] == "booked"
    assert appointment["start"].endswith("-04:00")
    rows = await appointments_of(conn, MARIA)
    assert [(str(r["id"]), r["status"], r["doctor"]) for r in rows] == [
        (appointment["id"], "booked", "Dra. Lucía Vargas")
    ]
    assert UUID(appointment["id"]).hex[:8].upper() in booked["response"]
    actions = await audit_actions(conn)
    assert ("verification.identity", "success") in actions
    assert ("verification.code_checked", "success") in actions
    assert actions[-1] == ("appointment.booked", "success")


async def test_list_cancel_and_reschedule_own_appointments(maria: Patient, conn: asyncpg.Connection) -> None:
    first = await book_first_offer(maria)
    assert first["action"] == "schedule_appointment"
    reference = UUID(first["appointment"]["id"]).hex[:8].upper()

    listed = await maria.say("cuales son mis citas?")
    assert listed["action"] == "list_appointments"
    assert reference in listed["response"]

    moving = await maria.say("quiero cambiar mi cita")
    assert len(moving["options"]) == 3, moving
    assert "Dra. Lucía Vargas" in moving["response"]
    await maria.say("3")
    moved = await maria.say("sí")
    assert moved["action"] == "reschedule_appointment", moved
    assert moved["appointment"]["id"] == first["appointment"]["id"]
    assert moved["appointment"]["start"] != first["appointment"]["start"]

    asked = await maria.say("cancela mi cita xfa")
    assert "¿Confirma que desea cancelar" in asked["response"]
    cancelled = await maria.say("si")
    assert cancelled["action"] == "cancel_appointment"
    assert cancelled["appointment"]["status"] == "cancelled"

    rows = await appointments_of(conn, MARIA)
    assert [r["status"] for r in rows] == ["cancelled"]
    assert (await maria.say("mis citas"))["response"].startswith("No tiene citas próximas")


def first_friday_after(today: date) -> date:
    """The first Friday after `today` on which the demo clinic works its usual hours."""
    closed = {override.on_date for override in demo.CLINIC_OVERRIDES}
    day = today + timedelta(days=1)
    while day.isoweekday() != 5 or day in closed:
        day += timedelta(days=1)
    return day


async def test_moving_a_friday_appointment_moves_it_and_books_nothing(maria: Patient, conn: asyncpg.Connection) -> None:
    # Issue 16: "mover la del viernes" became a booking, and the patient ended up with a second appointment.
    la_paz = ZoneInfo("America/La_Paz")
    now = datetime.now(la_paz)
    friday = first_friday_after(now.date())
    patient = await repository.patient_by_phone(conn, phone=MARIA)
    dermatologist = await conn.fetchval("SELECT id FROM doctors WHERE full_name = 'Dra. Valeria Choque'")
    assert patient is not None
    held = await booking.book(
        conn,
        patient_id=patient.id,
        doctor_id=dermatologist,
        starts_at=datetime.combine(friday, time(15), la_paz),
        now=now,
        tz=la_paz,
    )

    offered = await maria.verify("hola, quisiera mover la del viernes")
    assert offered["action"] == "none" and len(offered["options"]) == 3, offered
    later = await maria.say(f"viernes {friday.day} de {wording.MONTHS[friday.month - 1]} a las 5 de la tarde")
    assert "17:00" in later["response"], later
    asked = await maria.say("la de las 5")
    old, new = (wording.day_and_time(datetime.combine(friday, time(h), la_paz), la_paz) for h in (15, 17))
    assert asked["response"] == replies.confirm_reschedule(old, new)
    moved = await maria.say("si")

    assert moved["action"] == "reschedule_appointment", moved
    assert moved["appointment"]["id"] == str(held.id)
    rows = await appointments_of(conn, MARIA)
    assert [(r["id"], r["status"], r["starts_at"]) for r in rows] == [
        (held.id, "booked", datetime.combine(friday, time(17), la_paz))
    ]


async def test_a_mother_books_for_her_son_mateo(maria: Patient, conn: asyncpg.Connection) -> None:
    offered = await maria.verify("quiero una cita con pediatría")
    assert len(offered["options"]) == 3, offered
    await maria.say("1")

    # Issue 16: the yes that carries her son's name was asked again twice, and the appointment went under hers.
    asked = await maria.say("sí confirmo, a nombre de mi hijo Mateo porfa")
    assert asked["response"] == replies.ask_member_full_name("Mateo"), asked
    named = await maria.say("Mateo López Rojas")
    assert named["response"] == replies.ask_member_birth_date("Mateo López Rojas", "hijo"), named
    booked = await maria.say("14/02/2023")

    assert booked["action"] == "schedule_appointment", booked
    added = replies.member_added("Mateo López Rojas")
    assert booked["response"].startswith(f"{added} ¡Listo! La cita de Mateo López Rojas con"), booked
    [row] = await conn.fetch(
        "SELECT p.full_name, p.phone, p.relation, p.date_of_birth, h.phone AS holder_phone "
        "FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN patients h ON h.id = p.holder_id"
    )
    assert (row["full_name"], row["phone"], row["relation"], row["holder_phone"]) == (
        "Mateo López Rojas",
        None,
        "hijo",
        MARIA,
    )
    assert row["date_of_birth"] == date(2023, 2, 14)
    assert await appointments_of(conn, MARIA) == []  # nothing under the mother's name

    listed = await maria.say("mis citas")
    assert listed["action"] == "list_appointments" and "— para Mateo" in listed["response"], listed
    again = await maria.say("quiero otra cita con pediatría")
    assert again["response"].startswith(replies.FOR_WHOM), again
    assert [o["title"] for o in again["options"]] == ["Para mí", "Mateo López Rojas", "Otra persona"]
    for_him = await maria.say("para mi hijo")
    assert len(for_him["options"]) == 3, for_him


async def test_change_of_mind_other_times_and_no(maria: Patient, conn: asyncpg.Connection) -> None:
    offered = await maria.verify("necesito cita con medicina general")
    first_titles = [o["title"] for o in offered["options"]]

    others = await maria.say("otro horario")
    other_titles = [o["title"] for o in others["options"]]
    assert len(other_titles) == 3 and not set(first_titles) & set(other_titles)

    await maria.say("1")
    declined = await maria.say("no")
    assert declined["action"] == "none"
    assert declined["response"].startswith("De acuerdo, no reservé")
    assert len(declined["options"]) == 3

    switched = await maria.say("mejor quiero ver mis citas")
    assert switched["action"] == "list_appointments"
    assert await appointments_of(conn, MARIA) == []


async def test_wrong_birth_date_three_times_hands_over_to_a_person(maria: Patient, conn: asyncpg.Connection) -> None:
    await maria.say("quiero una cita")
    for _ in range(2):
        wrong = await maria.say("22/05/1987")
        assert wrong["action"] == "verification_required"
        assert "no coincide" in wrong["response"]
    locked = await maria.say("21 de mayo de 1978")

    assert locked["action"] == "human_handoff"
    assert locked["verified"] is False
    again = await maria.say("quiero una cita")
    assert "bloqueada" in again["response"]
    assert maria.sms.received == []
    flagged = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", MARIA)
    assert flagged == "verification_failed"  # in the staff's inbox, after emergencies and requests for a person
    assert (await audit_actions(conn)).count(("verification.identity", "failure")) == 2


async def test_patient_without_a_birth_date_on_file_is_handed_to_a_person(
    juan: Patient, conn: asyncpg.Connection
) -> None:
    await conn.execute("UPDATE patients SET date_of_birth = NULL WHERE phone = $1", JUAN)
    asked = await juan.say("mis citas")
    assert "fecha de nacimiento" in asked["response"]

    answer = await juan.say(juan.born())

    assert answer["action"] == "human_handoff" and answer["verified"] is False
    assert "persona de nuestro equipo" in answer["response"]
    assert juan.sms.received == []
    flagged = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", JUAN)
    assert flagged == "human_handoff"
    assert ("verification.identity", "denied") in await audit_actions(conn)


async def test_wrong_codes_lock_verification_out(maria: Patient, conn: asyncpg.Connection) -> None:
    await maria.say("mis citas")
    await maria.say(maria.born())
    right = maria.last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert "no es correcto" in (await maria.say(wrong))["response"]
    assert await conn.fetchval("SELECT count(*) FROM handovers") == 0
    locked = await maria.say(wrong)
    assert "bloqueada" in locked["response"]
    assert "hablar con una persona" in locked["response"]  # the way out, while the lock lasts
    # Flagged the moment the lock happens: the conversation waits in the staff's inbox.
    flagged = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", MARIA)
    assert flagged == "verification_failed"

    too_late = await maria.say(right)
    assert too_late["verified"] is False
    assert ("verification.code_checked", "locked") in await audit_actions(conn)
    asked = await maria.say("hablar con una persona")
    assert asked["action"] == "human_handoff", asked


async def test_verification_expires(make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer) -> None:
    client = await make_client(VERIFIED_TTL_SECONDS=1)
    maria = Patient(client, api_key, MARIA, sms)
    listed = await maria.verify("mis citas")
    assert listed["action"] == "list_appointments"

    await asyncio.sleep(1.2)
    again = await maria.say("mis citas")
    assert again["action"] == "verification_required"
    assert again["verified"] is False


async def test_another_patients_appointment_is_never_touched(
    maria: Patient, juan: Patient, conn: asyncpg.Connection
) -> None:
    booked = await book_first_offer(maria)
    marias_id = booked["appointment"]["id"]

    await juan.verify("mis citas")
    refused = await juan.say(f"quiero cancelar la cita {marias_id}")
    assert refused["action"] == "none"
    assert "No encuentro esa cita" in refused["response"]
    assert refused["appointment"] is None
    short = await juan.say(f"cancelar cita ref {UUID(marias_id).hex[:8].upper()}")
    assert "No encuentro esa cita" in short["response"]

    assert [r["status"] for r in await appointments_of(conn, MARIA)] == ["booked"]
    assert "Lucía" not in refused["response"]
    denied = await conn.fetchval("SELECT count(*) FROM audit_log WHERE outcome = 'denied'")
    assert denied == 2


async def test_emergency_is_answered_and_flagged_without_verification(maria: Patient, conn: asyncpg.Connection) -> None:
    answer = await maria.say("mi papá tiene un dolor fuerte en el pecho y no puede respirar")
    assert answer["action"] == "emergency"
    assert "emergencia" in answer["response"].lower()
    reason = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", MARIA)
    assert reason == "emergency"
    assert maria.sms.received == []


async def test_two_patients_racing_for_one_slot(maria: Patient, juan: Patient, conn: asyncpg.Connection) -> None:
    for patient in (maria, juan):
        await patient.verify("quiero una cita con la dra lucia vargas")
        await patient.say("1")
    assert maria.replies[-2]["options"] == juan.replies[-2]["options"]
    assert maria.replies[-1]["response"] == juan.replies[-1]["response"]

    first, second = await asyncio.gather(maria.say("sí"), juan.say("sí"))

    outcomes = sorted([first["action"], second["action"]])
    assert outcomes == ["none", "schedule_appointment"], (first, second)
    loser = first if first["action"] == "none" else second
    assert "acaba de ser reservado" in loser["response"]
    assert len(loser["options"]) == 3
    booked = await conn.fetch("SELECT starts_at FROM appointments WHERE status = 'booked'")
    assert len(booked) == 1


async def test_unregistered_phone_is_offered_registration(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    stranger = Patient(gateway, api_key, STRANGER, sms)
    offer = await stranger.say("quiero una cita de odontología")
    assert offer["action"] == "verification_required"
    assert "No encontramos un registro" in offer["response"]
    assert "Quispe" not in offer["response"]

    await stranger.say("sí")
    assert "apellido" in (await stranger.say("Pedro"))["response"]
    asked_born = await stranger.say("Pedro Alanoca Mamani")
    assert "fecha de nacimiento" in asked_born["response"]
    assert "día, mes y año" in (await stranger.say("el 31 de febrero"))["response"]
    assert "carnet" in (await stranger.say("15 de agosto de 1990"))["response"]
    sent = await stranger.say("1234567 LP")
    assert "código" in sent["response"]
    offered = await stranger.say(stranger.last_code())

    assert offered["verified"] is True
    assert "Dr. Marco Antonio Flores" in offered["response"]
    patient = await conn.fetchrow(
        "SELECT full_name, document_number, date_of_birth FROM patients WHERE phone = $1", STRANGER
    )
    assert dict(patient) == {
        "full_name": "Pedro Alanoca Mamani",
        "document_number": "1234567 LP",
        "date_of_birth": date(1990, 8, 15),
    }


async def test_sms_provider_down_is_told_politely(maria: Patient, sms: FakeSmsServer) -> None:
    sms.status = 503
    await maria.say("quiero ver mis citas")
    answer = await maria.say(maria.born())
    assert answer["action"] == "verification_required"
    assert "No pudimos enviarle el código" in answer["response"]
    sms.status = 200
    resent = await maria.say("reenviar")
    assert "Le enviamos un código" in resent["response"]
    assert (await maria.say(maria.last_code()))["action"] == "list_appointments"


async def test_code_requests_are_limited(maria: Patient, conn: asyncpg.Connection) -> None:
    await maria.say("mis citas")
    await maria.say(maria.born())
    await maria.say("reenviar")
    await maria.say("reenviar")
    limited = await maria.say("reenviar")
    assert "varios códigos" in limited["response"]
    assert "hablar con una persona" in limited["response"]
    assert len(maria.sms.received) == 3
    assert ("verification.code_sent", "limited") in await audit_actions(conn)


async def test_the_dialog_continues_on_another_gateway(
    make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    first, second = await make_client(), await make_client()
    on_first = Patient(first, api_key, MARIA, sms)
    on_second = Patient(second, api_key, MARIA, sms)
    await on_first.verify("cita con pediatría")
    await on_second.say("2")
    booked = await on_first.say("sí")
    assert booked["action"] == "schedule_appointment"
    assert len(await appointments_of(conn, MARIA)) == 1


async def test_no_otp_and_no_message_text_in_the_audit_log(maria: Patient, conn: asyncpg.Connection) -> None:
    await book_first_offer(maria)
    code = maria.last_code()
    dump = await conn.fetchval("SELECT string_agg(audit_log::text, ' ') FROM audit_log")
    assert code not in dump
    assert "pediatría" not in dump.lower()


YES_NO = [{"id": "si", "title": "Sí", "description": None}, {"id": "no", "title": "No", "description": None}]
# The registration offer also lets the patient reach a person with one tap.
REGISTER_CHOICES = [*YES_NO, {"id": "hablar con una persona", "title": "Hablar con persona", "description": None}]


async def test_a_birth_date_typed_at_the_registration_offer_never_becomes_the_day_wanted(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer
) -> None:
    stranger = Patient(gateway, api_key, STRANGER, sms)
    offer = await stranger.say("quiero una cita con ginecología")
    assert "¿Desea registrarse ahora?" in offer["response"]
    assert offer["options"] == REGISTER_CHOICES

    early = await stranger.say("15 de agosto de 1995")
    assert "¿Desea registrarse ahora?" in early["response"], early
    assert early["options"] == REGISTER_CHOICES
    assert replies.DAY_PASSED not in early["response"]
    assert "nombre completo" in (await stranger.say("si quiero registrarme"))["response"]
    await stranger.say("Ana Mamani Quispe")
    assert "carnet" in (await stranger.say("15 de agosto de 1995"))["response"]
    assert "código" in (await stranger.say("7654321 LP"))["response"]
    offered = await stranger.say(stranger.last_code())

    assert offered["verified"] is True
    assert "(Ginecología)" in offered["response"] and len(offered["options"]) == 3, offered
    assert "No hay horarios libres" not in offered["response"]


async def test_the_person_button_at_the_registration_offer_hands_over(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer
) -> None:
    stranger = Patient(gateway, api_key, STRANGER, sms)
    offer = await stranger.say("quiero una cita con ginecología")
    tapped = await stranger.say(offer["options"][2]["id"])

    assert tapped["action"] == "human_handoff", tapped
    assert tapped["response"].startswith("Con gusto.")


async def test_a_date_typed_at_the_identity_question_never_becomes_the_day_wanted(maria: Patient) -> None:
    later = datetime.now(ZoneInfo("America/La_Paz")).date() + timedelta(days=200)
    await maria.say("quiero una cita con pediatría")
    again = await maria.say(f"el {later.day} de {wording.MONTHS[later.month - 1]}")
    assert "fecha de nacimiento" in again["response"], again
    assert "código" in (await maria.say(maria.born()))["response"]
    offered = await maria.say(maria.last_code())

    assert offered["verified"] is True and len(offered["options"]) == 3, offered
    assert "No hay horarios libres" not in offered["response"]
    assert not any(f"{later:%d/%m}" in option["title"] for option in offered["options"]), offered


async def test_a_past_day_is_said_to_have_passed_and_never_kept(maria: Patient) -> None:
    asked = await maria.say("quiero cita con pediatria el 15 de agosto de 1995")
    assert asked["response"].startswith(replies.DAY_PASSED), asked
    assert "fecha de nacimiento" in asked["response"]
    await maria.say(maria.born())
    offered = await maria.say(maria.last_code())
    assert "Dra. Lucía Vargas" in offered["response"] and len(offered["options"]) == 3, offered
    assert "No hay horarios libres" not in offered["response"]

    yesterday = await maria.say("ayer a las 10")
    assert yesterday["response"].startswith(f"{replies.DAY_PASSED} Estos son los horarios"), yesterday
    assert "Dra. Lucía Vargas" in yesterday["response"] and len(yesterday["options"]) == 3
    for later in ("otro horario", "quiero una cita con medicina general"):
        answer = await maria.say(later)
        assert len(answer["options"]) == 3, answer
        assert "No hay horarios libres" not in answer["response"]
        assert "ya pasó" not in answer["response"]


async def test_registering_in_words_is_yes_and_no_or_a_person_still_count(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    answers = {
        "si quiero registrarme": "nombre completo",
        "sí, quiero registrarme por favor": "nombre completo",
        "registrarme": "nombre completo",
        "no": replies.REGISTER_DECLINED,
        "no gracias": replies.REGISTER_DECLINED,
        "quiero hablar con una persona": "Con gusto.",
    }
    for number, (answer, expected) in enumerate(answers.items()):
        stranger = Patient(gateway, api_key, f"+5917654322{number}", sms)
        assert "¿Desea registrarse ahora?" in (await stranger.say("quiero una cita"))["response"]
        assert expected in (await stranger.say(answer))["response"], answer
    flagged = await conn.fetchval("SELECT count(*) FROM conversations WHERE needs_human_reason = 'human_handoff'")
    assert flagged == 1


async def test_a_confirmation_asked_again_keeps_its_yes_and_no_buttons(maria: Patient) -> None:
    await maria.verify("quiero una cita con pediatría")
    assert (await maria.say("1"))["options"] == YES_NO
    again = await maria.say("mmm")
    assert again["response"] == replies.ASK_CONFIRM_AGAIN
    assert again["options"] == YES_NO


@pytest.mark.parametrize(
    ("hours", "wish"),
    [
        ((2, 3, 1), "Que descanse."),
        ((21, 20), "Que tenga una buena noche."),
        ((9, 10), "Que tenga un buen día."),
        ((15, 16), "Que tenga una buena tarde."),
    ],
)
async def test_a_goodbye_fits_the_clinics_local_hour(
    make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer, hours: tuple[int, ...], wish: str
) -> None:
    gateway = await make_client(CLINIC_TIMEZONE=zone_at(hours))
    thanks = await ChatPatient(gateway, api_key, "+59170009911", sms).say("muchas gracias")
    assert thanks["response"] == f"¡Gracias por escribirnos! {wish}"


async def test_a_person_asked_for_at_night_is_told_when_the_clinic_opens_not_as_soon_as_possible(
    make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer
) -> None:
    night = await make_client(CLINIC_TIMEZONE=zone_at(NIGHT), EMERGENCY_NUMBER="168")
    asked = await ChatPatient(night, api_key, "+59170009913", sms).say("quiero hablar con una persona")
    assert asked["action"] == "human_handoff"
    assert "la clínica está cerrada" in asked["response"] and "a las 08:00" in asked["response"], asked
    assert "lo antes posible" not in asked["response"] and "168" in asked["response"]
    day = await make_client(CLINIC_TIMEZONE=open_zone())
    assert (await ChatPatient(day, api_key, "+59170009914", sms).say("persona"))["response"] == replies.HUMAN_HANDOFF


@pytest.mark.parametrize("hours", [(21, 20), (2, 3, 1)])
async def test_buenas_noches_after_thanks_is_a_goodbye_not_the_greeting_menu(
    make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer, hours: tuple[int, ...]
) -> None:
    gateway = await make_client(CLINIC_TIMEZONE=zone_at(hours))
    patient = ChatPatient(gateway, api_key, "+59170009912", sms)
    texts = [(await patient.say(text))["response"] for text in ("gracias por todo", "buenas noches")]
    assert texts[1] != replies.GREETING
    assert "Aquí estaremos cuando nos necesite." in texts[1] and texts[1] != texts[0]
    assert not any("buen día" in text for text in texts), texts
    # Without the thanks before it, "buenas noches" is a greeting.
    fresh = await ChatPatient(gateway, api_key, "+59170009913", sms).say("buenas noches")
    assert fresh["response"] == replies.GREETING


async def test_a_specialty_the_clinic_does_not_have_is_said_so_and_the_others_offered(maria: Patient) -> None:
    answer = await maria.verify("quiero una cita con psicologia")

    assert replies.specialty_not_offered("Psicología") in answer["response"], answer
    assert "Pediatría" in answer["response"] and "No encontré horarios" not in answer["response"]
    pediatrics = await maria.say("pediatria")
    assert "Dra. Lucía Vargas" in pediatrics["response"] and len(pediatrics["options"]) == 3


async def test_asked_to_register_a_patient_who_wants_a_person_gets_one(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer
) -> None:
    stranger = Patient(gateway, api_key, STRANGER, sms)
    await stranger.say("quiero una cita de odontología")

    answer = await stranger.say("si, con una persona")

    assert answer["action"] == "human_handoff"


async def test_a_complaint_goes_to_a_person_with_an_apology(maria: Patient, conn: asyncpg.Connection) -> None:
    answer = await maria.say("que mala atencion la del sabado, espere 2 horas y la doctora ni me miro")

    assert answer["action"] == "human_handoff"
    assert answer["response"].startswith("Lamento mucho lo ocurrido.")
    reason = await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE user_phone = $1", maria.phone)
    assert reason == "human_handoff"


async def test_la_de_las_3_and_another_day_instead_of_the_one_offered(
    make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    """Issue 16: "la de las 3" among 14:30, 15:00 and 15:30 is 15:00, and "mejor el <día>, el <día> no puedo"
    offers the day wanted, not more of the day refused."""
    gateway = await make_client(CLINIC_TIMEZONE=open_zone())
    maria = Patient(gateway, api_key, MARIA, sms)
    offered = await maria.verify("quiero una cita con odontología por la tarde")
    assert [option["title"][-5:] for option in offered["options"]] == ["14:30", "15:00", "15:30"], offered

    chosen = await maria.say("la de las 3")
    assert "¿Confirma" in chosen["response"] and "a las 15:00" in chosen["response"], chosen
    [refused] = [i for i, name in enumerate(wording.WEEKDAYS) if f"el {name} " in chosen["response"]]
    wanted = wording.WEEKDAYS[(refused + 1) % 5]
    again = await maria.say("no")
    assert again["response"].startswith(replies.BOOKING_DROPPED), again

    moved = await maria.say(f"mejor el {wanted}, el {wording.WEEKDAYS[refused]} no puedo")
    lines = [line for line in moved["response"].split("\n") if line[:1].isdigit()]
    assert len(lines) == 3 and wording.WEEKDAYS[refused] not in moved["response"], moved
    if f"No hay horarios libres el {wanted}" not in moved["response"]:  # a holiday: the next days are offered
        assert all(f") {wanted} " in line for line in lines), moved
    left = await maria.say("no gracias, después le escribo")
    assert left["response"] == replies.BOOKING_LEFT
    assert await appointments_of(conn, MARIA) == []


@pytest.mark.parametrize("complaint", ["reclamo", "Queja", "quiero hacer un reclamo", "tengo una queja"])
async def test_a_complaint_from_an_unregistered_phone_goes_to_a_person_not_to_registration(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection, complaint: str
) -> None:
    stranger = Patient(gateway, api_key, STRANGER, sms)

    answer = await stranger.say(complaint)

    assert answer["action"] == "human_handoff", answer
    assert answer["response"].startswith("Lamento mucho lo ocurrido.")
    assert "registr" not in answer["response"]
    assert await conn.fetchval("SELECT count(*) FROM patients WHERE phone = $1", STRANGER) == 0


async def test_a_complaint_while_registration_asks_the_name_goes_to_a_person(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer
) -> None:
    stranger = Patient(gateway, api_key, STRANGER, sms)
    await stranger.say("quiero una cita")
    assert "nombre completo" in (await stranger.say("sí"))["response"]

    answer = await stranger.say("reclamo")

    assert answer["action"] == "human_handoff", answer
    assert answer["response"].startswith("Lamento mucho lo ocurrido.")


async def test_a_long_voice_note_is_read_as_the_booking_it_asks_for(
    make_client: MakeClient, seeded: None, api_key: str, sms: FakeSmsServer
) -> None:
    # Any day but Saturday ("este sábado" is then ahead, its morning free), at an hour the clinic is open where some
    # zone has one: on a Saturday in UTC, no zone is at a weekday's morning (a fixed date of Monday to Thursday
    # failed the test from Friday to Sunday).
    gateway = await make_client(CLINIC_TIMEZONE=zone_at((9, 10, 11, *range(24)), weekdays=(1, 2, 3, 4, 5, 7)))
    maria = Patient(gateway, api_key, MARIA, sms)

    # The appointment is her husband's: he is added to her phone first (full name, date of birth).
    asked = await maria.verify(VOICE_NOTE)
    assert asked["response"].endswith(replies.ask_member_full_name("Ramiro")), asked
    born = await maria.say("Ramiro Condori Flores")
    assert born["response"] == replies.ask_member_birth_date("Ramiro Condori Flores"), born
    offered = await maria.say("03/06/1968")

    offers = [line for line in offered["response"].splitlines() if line[:2] in ("1)", "2)", "3)")]
    assert len(offers) == len(offered["options"]) == 3, offered
    # Saturday, general medicine, in the morning: not the 06:00 he leaves for work, nor a complaint.
    assert all("sábado" in line and "(Medicina general)" in line for line in offers), offered
    assert all(option["title"].split()[-1] < "12:00" for option in offered["options"]), offered


async def test_reminder_consent_and_a_reminders_confirm_button_through_chat(
    maria: Patient, juan: Patient, conn: asyncpg.Connection
) -> None:
    # n8n posts a template's quick-reply button as the user message's content: its payload, "confirm:<id>".
    booked = await book_first_offer(maria)
    assert booked["response"].endswith(replies.REMINDERS_QUESTION), booked
    assert [o["id"] for o in booked["options"]] == ["si", "no"]
    consented = await maria.say("si")
    assert consented["response"] == replies.REMINDERS_ON
    appointment_id = booked["appointment"]["id"]

    confirmed = await maria.say(f"confirm:{appointment_id}")
    juans_try = await juan.say(f"cancel:{appointment_id}")  # not verified: asked who he is, nothing changes

    assert confirmed["response"].startswith("¡Gracias por confirmar!"), confirmed
    row = await conn.fetchrow(
        "SELECT a.status, a.confirmed_at, p.reminders_consent "
        "FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.id = $1",
        UUID(appointment_id),
    )
    assert row is not None and (row["status"], row["reminders_consent"]) == ("booked", True)
    assert row["confirmed_at"] is not None
    assert "fecha de nacimiento" in juans_try["response"]
    actions = await audit_actions(conn)
    assert ("patient.reminders_consent", "success") in actions
    assert actions[-1] == ("appointment.confirmed", "success")


async def test_a_complaint_told_after_the_hand_over_is_heard_and_registering_still_works(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    # QA's transcript: the second message told what happened and got the hand-over sentence word for word, and
    # "si quiero registrarme" got the waiting reminder instead of the registration.
    stranger = Patient(gateway, api_key, STRANGER, sms)
    handed = await stranger.say("buenas tardes quiero poner un reclamo")
    told = await stranger.say(
        "me atendieron pésimo ayer en recepción, me hicieron esperar 2 horas y nadie me dio razón"
    )
    registering = await stranger.say("si quiero registrarme")

    assert handed["action"] == told["action"] == "human_handoff"
    assert told["response"] == replies.handoff_noted(complaint=True) != handed["response"]
    assert registering["response"] == replies.ASK_NAME, registering
    flagged = await conn.fetchval("SELECT count(*) FROM conversations WHERE needs_human_reason = 'human_handoff'")
    assert flagged == 1
