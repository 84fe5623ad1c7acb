"""Questions about the clinic through POST /chat, on real Postgres and Redis: the answers are the seeded
clinic_info facts, every patient gets the same one, a flow step is asked again afterwards, and no
answer comes from the model (the stored reply is a plain template, with no rejected model draft)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.conversation import clinic_answers, replies, wording
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient

LA_PAZ = ZoneInfo("America/La_Paz")
STRANGER = "+59176543210"  # not registered
OTHER_STRANGER = "+59176543211"
PRICES = demo.CLINIC_PRICES.consultation_bs
HOURS_LINE = "de lunes a viernes de 08:00 a 19:00; sábados de 08:00 a 12:00; domingos cerrado"


class Patient(ChatPatient):
    async def verify_demo(self, first_message: str) -> dict[str, Any]:
        [patient] = [p for p in demo.PATIENTS if p.phone == self.phone]
        return await self.verify(first_message, f"nací el {patient.date_of_birth:%d/%m/%Y}")


@pytest.fixture
async def gateway(make_client: Any, conn: asyncpg.Connection) -> httpx.AsyncClient:
    await seed_demo_clinic(conn)
    client: httpx.AsyncClient = await make_client()
    return client


@pytest.fixture
def stranger(gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer) -> Patient:
    return Patient(gateway, api_key, STRANGER, sms)


@pytest.fixture
def maria(gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer) -> Patient:
    return Patient(gateway, api_key, demo.MARIA.phone, sms)


async def replies_stored(conn: asyncpg.Connection, phone: str) -> list[tuple[str, dict[str, Any]]]:
    rows = await conn.fetch(
        "SELECT content, meta FROM messages WHERE role = 'assistant' AND user_phone = $1 ORDER BY id", phone
    )
    return [(r["content"], json.loads(r["meta"])) for r in rows]


async def assert_no_model_reply(conn: asyncpg.Connection, phone: str) -> None:
    """Every stored answer is a template the dialog wrote: no model draft, accepted or rejected."""
    stored = await replies_stored(conn, phone)
    assert stored
    assert all(meta == {"source": "template"} for _, meta in stored), stored


async def test_the_hours_question_gets_the_seeded_hours(stranger: Patient, conn: asyncpg.Connection) -> None:
    answer = await stranger.say("¿cuál es su horario de atención?")
    assert answer["response"] == f"Nuestro horario de atención es {HOURS_LINE}."
    assert answer["action"] == "none"
    assert "Bs" not in answer["response"]
    await assert_no_model_reply(conn, STRANGER)


async def test_sundays_get_a_no_because_the_seeded_hours_have_no_sunday(
    stranger: Patient, conn: asyncpg.Connection
) -> None:
    sunday = await stranger.say("¿atienden los domingos?")
    saturday = await stranger.say("y los sabados?? abren")
    assert sunday["response"].startswith("No, los domingos no atendemos.")
    assert "Sí" not in sunday["response"] and "efectivo" not in sunday["response"]
    assert saturday["response"] == "Sí, los sábados atendemos de 08:00 a 12:00."
    await assert_no_model_reply(conn, STRANGER)


async def test_caja_nacional_gets_the_honest_no(stranger: Patient, conn: asyncpg.Connection) -> None:
    answer = await stranger.say("aceptan seguro? tengo caja nacional")
    text = answer["response"]
    assert text.startswith("No, no trabajamos con la Caja Nacional de Salud (CNS).")
    assert "Formas de pago: efectivo, tarjeta de débito o crédito y pago por QR." in text
    # ... and names the insurers the clinic does work with, from its data.
    accepted = [i.name for i in demo.CLINIC_PAYMENT.insurers if i.accepted]
    assert accepted and all(name in text for name in accepted), text
    assert "Caja Petrolera" not in text
    await assert_no_model_reply(conn, STRANGER)


@pytest.mark.parametrize("question", ["¿atienden emergencias?", "tienen urgencias?", "ustedes atienden urgencias?"])
async def test_asked_about_emergencies_the_clinic_says_it_is_none_gives_the_number_and_offers_a_person(
    make_client: Any, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer, question: str
) -> None:
    await seed_demo_clinic(conn)
    client = await make_client(EMERGENCY_NUMBER="168")
    answer = await Patient(client, api_key, STRANGER, sms).say(question)
    text = answer["response"]
    assert text.startswith("La clínica no es un servicio de emergencias."), text
    assert "llame ahora al 168" in text and "emergencia más cercana" in text
    assert "No tengo" not in text
    assert answer["options"] == [
        {"id": "hablar con una persona", "title": "Hablar con una persona", "description": None}
    ]
    await assert_no_model_reply(conn, STRANGER)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("q horario tienen", [HOURS_LINE]),
        ("donde quedan? q direccion", [demo.CLINIC_ADDRESS.street, "Sopocachi", demo.CLINIC_ADDRESS.maps_url]),
        ("cuanto sale la consulta con el pediatra", [f"La consulta de Pediatría cuesta Bs {PRICES['pediatria']}."]),
        ("cuanto cuesta la consulta", [f"• Cardiología: Bs {PRICES['cardiologia']}", "• Medicina general: Bs 150"]),
        (
            "tienen cardiologo?",
            ["Sí, en Cardiología atiende el Dr. Fernando Gutiérrez, de lunes a viernes de 09:00 a 13:00."],
        ),
        (
            "buenas, q dias atiende la dra quispe?",
            [
                "La Dra. Carmen Quispe (Medicina general) atiende de lunes a viernes de 08:00 a 12:00 "
                "y de 14:00 a 18:00; sábados de 08:00 a 12:00."
            ],
        ),
        ("hay parqueo?", [demo.CLINIC_ADDRESS.parking]),
        ("aceptan tarjeta?", ["Sí, aceptamos tarjeta de débito o crédito."]),
        ("que tengo q llevar a la consulta", demo.CLINIC_PREPARATION.bring),
    ],
)
async def test_written_as_patients_write_the_answer_is_the_seeded_fact(
    stranger: Patient, conn: asyncpg.Connection, question: str, expected: list[str]
) -> None:
    answer = await stranger.say(question)
    for fact in expected:
        assert fact in answer["response"]
    assert answer["options"] == []
    await assert_no_model_reply(conn, STRANGER)


async def test_parking_asked_alone_gets_the_parking_line_not_the_address_again(stranger: Patient) -> None:
    assert (await stranger.say("hay parqueo?"))["response"] == demo.CLINIC_ADDRESS.parking
    assert demo.CLINIC_ADDRESS.street in (await stranger.say("donde quedan? tienen parqueo?"))["response"]


@pytest.mark.parametrize("question", ["¿tienen resonancia magnética?", "¿hacen cirugía?", "cual es su telefono"])
async def test_what_the_data_cannot_answer_is_said_and_a_person_offered(
    stranger: Patient, conn: asyncpg.Connection, question: str
) -> None:
    answer = await stranger.say(question)
    assert answer["response"].startswith("No tengo")
    assert answer["response"].endswith(clinic_answers.OFFER_PERSON)
    assert answer["options"] == [
        {"id": "hablar con una persona", "title": "Hablar con una persona", "description": None}
    ]
    person = await stranger.say(answer["options"][0]["id"])
    assert person["action"] == "human_handoff"
    await assert_no_model_reply(conn, STRANGER)


async def test_two_patients_asking_the_same_get_the_same_answer(
    gateway: httpx.AsyncClient, api_key: str, sms: FakeSmsServer, stranger: Patient
) -> None:
    other = Patient(gateway, api_key, OTHER_STRANGER, sms)
    for question in ("¿atienden los domingos?", "aceptan seguro?", "donde quedan"):
        assert (await stranger.say(question))["response"] == (await other.say(question))["response"]


async def test_a_price_asked_while_choosing_a_slot_is_answered_and_the_slots_offered_again(
    maria: Patient, conn: asyncpg.Connection
) -> None:
    offered = await maria.verify_demo("quiero una cita con pediatría")
    assert len(offered["options"]) == 3, offered
    asked = await maria.say("cuánto cuesta la consulta?")
    assert asked["response"].startswith(f"La consulta de Pediatría cuesta Bs {PRICES['pediatria']}.")
    assert asked["response"].endswith(replies.ASK_OPTION_AGAIN)
    assert asked["options"] == offered["options"]
    chosen = await maria.say("1")
    assert "¿Confirma su cita con la Dra. Lucía Vargas (Pediatría)" in chosen["response"]
    booked = await maria.say("sí")
    assert booked["action"] == "schedule_appointment"


async def test_a_question_during_verification_keeps_the_verification_going(
    maria: Patient, conn: asyncpg.Connection
) -> None:
    asked = await maria.say("quiero una cita")
    assert asked["response"] == replies.ASK_BIRTH_DATE
    where = await maria.say("donde quedan?")
    assert where["response"].startswith(f"Estamos en {demo.CLINIC_ADDRESS.street}")
    assert where["response"].endswith(replies.ASK_BIRTH_DATE)
    assert where["action"] == "verification_required"
    sent = await maria.say(f"{demo.MARIA.date_of_birth:%d/%m/%Y}")
    assert "código" in sent["response"]


async def test_a_booking_that_asks_the_price_gets_the_price_then_the_booking(stranger: Patient) -> None:
    answer = await stranger.say("quiero una cita con el pediatra, cuánto cuesta?")
    assert answer["response"].startswith(f"La consulta de Pediatría cuesta Bs {PRICES['pediatria']}.\n\n")
    assert answer["response"].endswith(replies.REGISTER_OFFER)


async def test_staff_edits_change_the_answer_at_once(stranger: Patient, conn: asyncpg.Connection) -> None:
    await conn.execute(
        """
        UPDATE clinic_info SET details = jsonb_set(details, '{weekdays,7}', '[{"opens": "09:00", "closes": "12:00"}]')
        WHERE topic = 'hours'
        """
    )
    await conn.execute("DELETE FROM clinic_info WHERE topic = 'prices'")
    sunday = await stranger.say("atienden los domingos?")
    price = await stranger.say("cuanto cuesta la consulta de cardiologia")
    assert sunday["response"] == "Sí, los domingos atendemos de 09:00 a 12:00."
    assert price["response"].startswith("No tengo información sobre los precios")
    assert "Bs" not in price["response"]


async def test_a_clinic_day_off_is_read_from_the_schedule_overrides(
    stranger: Patient, conn: asyncpg.Connection
) -> None:
    today = datetime.now(LA_PAZ).date()
    closed = _next_weekday(today + timedelta(days=3))
    await conn.execute(
        "INSERT INTO schedule_overrides (on_date, doctor_id, reason) VALUES ($1, NULL, $2)",
        closed,
        "Feriado de prueba",
    )
    asked = await stranger.say(f"atienden el {closed.day} de {wording.MONTHS[closed.month - 1]}?")
    assert asked["response"] == f"No, el {wording.day(closed)} la clínica está cerrada (Feriado de prueba)."
    open_day = _next_weekday(closed + timedelta(days=1))
    asked = await stranger.say(f"atienden el {open_day.day} de {wording.MONTHS[open_day.month - 1]}?")
    assert asked["response"] == f"Sí, el {wording.day(open_day)} atendemos de 08:00 a 19:00."


def _next_weekday(day: date) -> date:
    """The first Monday-to-Friday from `day` on that the demo seed leaves on its weekly hours."""
    seeded = {override.on_date for override in demo.CLINIC_OVERRIDES}
    while day.isoweekday() > 5 or day in seeded:
        day += timedelta(days=1)
    return day


async def test_a_specialty_named_with_a_price_question_answers_both_and_offers_slots(maria: Patient) -> None:
    asked = await maria.verify_demo("quiero una cita")
    assert "¿Con qué especialidad" in asked["response"], asked
    offered = await maria.say("pediatria, cuanto cuesta?")
    assert offered["response"].startswith(f"La consulta de Pediatría cuesta Bs {PRICES['pediatria']}.\n\n")
    assert "Estos son los horarios disponibles" in offered["response"]
    assert len(offered["options"]) == 3


async def test_a_price_asked_at_the_confirmation_keeps_the_yes_no_question(maria: Patient) -> None:
    await maria.verify_demo("quiero una cita con cardiologia")
    confirm = await maria.say("1")
    assert "¿Confirma su cita con el Dr. Fernando Gutiérrez" in confirm["response"], confirm
    asked = await maria.say("y cuanto me cobran?")
    assert (
        asked["response"]
        == f"La consulta de Cardiología cuesta Bs {PRICES['cardiologia']}.\n\n{replies.ASK_CONFIRM_AGAIN}"
    )
    assert [o["id"] for o in asked["options"]] == ["si", "no"]
    booked = await maria.say("si")
    assert booked["action"] == "schedule_appointment"


async def test_a_medicine_question_beside_a_clinic_question_gets_no_advice(
    stranger: Patient, conn: asyncpg.Connection
) -> None:
    answer = await stranger.say("que puedo tomar para el dolor de cabeza? y donde quedan")
    assert answer["response"].startswith(f"Estamos en {demo.CLINIC_ADDRESS.street}")
    assert answer["response"].endswith(replies.NO_MEDICAL_ADVICE)
    await assert_no_model_reply(conn, STRANGER)


async def test_a_child_s_vaccines_are_booked_with_pediatrics(maria: Patient) -> None:
    offered = await maria.verify_demo("cita para vacunas del bebé")
    assert "¿Con qué especialidad" not in offered["response"], offered
    assert "Dra. Lucía Vargas" in offered["response"] and len(offered["options"]) == 3, offered


async def test_vaccines_for_her_son_ask_who_he_is_then_offer_pediatrics(maria: Patient) -> None:
    # The appointment is the son's: he is added to her phone (name, date of birth) before any slot.
    asked = await maria.verify_demo("cita para vacunas de mi hijo")
    assert "nombre completo de su hijo" in asked["response"], asked
    born = await maria.say("Mateo López Quispe")
    assert "fecha de nacimiento" in born["response"], born
    offered = await maria.say("15/08/2023")
    assert "¿Con qué especialidad" not in offered["response"], offered
    assert "Dra. Lucía Vargas" in offered["response"] and len(offered["options"]) == 3, offered


@pytest.mark.parametrize(
    ("follow_up", "specialty"), [("y con el pediatra?", "pediatria"), ("¿y cardiología?", "cardiologia")]
)
async def test_a_bare_follow_up_to_a_price_asks_the_same_about_another_specialty(
    stranger: Patient, follow_up: str, specialty: str
) -> None:
    first = await stranger.say("cuanto cuesta la consulta de dermatologia?")
    assert first["response"].startswith("La consulta de Dermatología cuesta Bs"), first
    then = await stranger.say(follow_up)
    assert f"Bs {PRICES[specialty]}" in then["response"], then
    assert then["action"] == "none" and "registr" not in then["response"]
    booking = await stranger.say("quiero una cita con pediatría")
    assert booking["action"] == "verification_required"  # a request of its own is a booking again
