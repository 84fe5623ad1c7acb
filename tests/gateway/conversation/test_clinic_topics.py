"""Questions about the clinic: which topic a message asks about, and answers written only from the data
(pure unit tests; the /chat conversations are in test_clinic_questions.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from appointments import demo
from appointments.clinic_info import ClinicInfo, Hours, Insurer, Named, Payment, Period, Services
from appointments.demo import weekly_blocks
from appointments.schemas import Doctor
from gateway.conversation import wording
from gateway.conversation.clinic_answers import OFFER_PERSON, PERSON_OPTION, Facts, Question, answer
from gateway.understanding import Intent, Understanding, understand
from gateway.understanding.clinic_topics import ClinicTopic
from tools import eval_nlu

LA_PAZ = ZoneInfo("America/La_Paz")
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=LA_PAZ)
DEMO_INFO = ClinicInfo(
    hours=demo.CLINIC_HOURS,
    prices=demo.CLINIC_PRICES,
    address=demo.CLINIC_ADDRESS,
    payment=demo.CLINIC_PAYMENT,
    preparation=demo.CLINIC_PREPARATION,
)
DEMO_DOCTORS = [Doctor(n, name, code, demo.SPECIALTIES[code]) for n, (name, code) in enumerate(demo.DOCTORS)]


def read(text: str) -> Understanding:
    return understand(text, now=WEDNESDAY, tz=LA_PAZ)


def reply(text: str, info: ClinicInfo = DEMO_INFO, doctors: list[Doctor] = DEMO_DOCTORS) -> tuple[str, bool]:
    understood = read(text)
    question = Question(understood.clinic_topics, text, understood.specialty, understood.date)
    answered = answer(question, Facts(info, doctors, demo.SPECIALTIES))
    assert answered.options == (() if answered.complete else (PERSON_OPTION,))
    return answered.text, answered.complete


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("¿cuál es su horario de atención?", ["hours"]),
        ("q horario tienen", ["hours"]),
        ("¿cuál es su horario?", ["hours"]),
        ("cuales son los horarios", ["hours"]),
        ("a que hora cierran", ["hours"]),
        ("hasta que hora atienden", ["hours"]),
        ("¿atienden los domingos?", ["hours"]),
        ("abren los sabados?", ["hours"]),
        ("trabajan los feriados?", ["hours"]),
        ("¿atienden el 25 de diciembre?", ["hours"]),
        ("cuanto sale la consulta con el pediatra", ["prices"]),
        ("¿cuánto cuesta la consulta de pediatría?", ["prices"]),
        ("cuanto cobran", ["prices"]),
        ("precio de la consulta?", ["prices"]),
        ("donde quedan? q direccion", ["address"]),
        ("como llego a la clinica", ["address"]),
        ("hay parqueo?", ["address"]),
        ("ubicacion porfa", ["address"]),
        ("aceptan seguro? tengo caja nacional", ["payment"]),
        ("trabajan con la caja petrolera?", ["payment"]),
        ("aceptan tarjeta?", ["payment"]),
        ("puedo pagar con qr", ["payment"]),
        ("que debo llevar a la consulta", ["preparation"]),
        ("tengo que ir en ayunas?", ["preparation"]),
        ("necesito orden medica?", ["preparation"]),
        ("qué especialidades tienen", ["doctors"]),
        ("tienen cardiologo?", ["doctors"]),
        ("quien atiende pediatria", ["doctors"]),
        ("¿tienen resonancia magnética?", ["services"]),
        ("¿hacen cirugía?", ["services"]),
        ("¿hacen vacunación?", ["services"]),
        ("cuanto cuesta una ecografia", ["services"]),
        ("cual es su telefono", ["general"]),
        ("atienden sin cita?", ["general"]),
        ("dónde están y cuánto cuesta?", ["prices", "address"]),
    ],
)
def test_a_question_about_the_clinic_is_read_with_its_topics(text: str, topics: list[str]) -> None:
    understood = read(text)
    assert understood.intent is Intent.CLINIC_INFO
    assert [topic.value for topic in understood.clinic_topics] == topics


@pytest.mark.parametrize(
    "text",
    [
        "no estoy seguro",
        "ese horario me sirve",
        "otro horario",
        "hay pediatra mañana?",
        "me atienden mañana?",
        "¿qué horarios tiene la pediatra mañana?",
        "que puedo tomar para el dolor de cabeza",
        "quiero cancelar mi cita",
        "¿a qué hora es mi cita?",
        "qué otros horarios tienen?",
        "que horarios tiene disponibles",
        "cual es el horario mas temprano",
        "a que hora es la primera?",
        "donde estan mis resultados?",
    ],
)
def test_what_only_sounds_like_a_clinic_question_is_not_one(text: str) -> None:
    assert read(text).intent is not Intent.CLINIC_INFO


@pytest.mark.parametrize(
    "text", ["esto no funciona", "no funciona nada", "¿le gusta su trabajo?", "¿usted trabaja todo el día?"]
)
def test_something_broken_or_a_personal_question_is_not_about_the_clinic_hours(text: str) -> None:
    understood = read(text)
    assert (understood.intent, understood.clinic_topics) == (Intent.OTHER, ())


@pytest.mark.parametrize(
    "text",
    [
        "¿trabajan los sábados?",
        "¿funciona la clínica el domingo?",
        "¿hasta qué hora atienden?",
        "¿hasta qué hora funciona?",
        "¿la clínica funciona hoy?",
        # QA, with a waitlist offer open: no question word, and it was read as small talk.
        "no es una emergencia, solo quiero saber el horario",
        "quisiera info del horario",
    ],
)
def test_the_clinic_working_or_running_on_a_day_asks_for_its_hours(text: str) -> None:
    understood = read(text)
    assert (understood.intent, understood.clinic_topics) == (Intent.CLINIC_INFO, (ClinicTopic.HOURS,))


def test_a_booking_with_a_price_question_stays_a_booking_and_keeps_the_topic() -> None:
    understood = read("quiero una cita con el pediatra, cuánto cuesta?")
    assert understood.intent is Intent.SCHEDULE_APPOINTMENT
    assert understood.clinic_topics == (ClinicTopic.PRICES,)
    assert understood.specialty == "pediatria"


@pytest.mark.parametrize(
    "text",
    [
        "cita para vacunas del bebe",
        "quiero ecografia",
        "mi bebe de 2 meses necesita sus vacunas",
        "quiero traumatologo",
    ],
)
def test_a_plain_request_naming_a_service_or_doctor_is_a_booking(text: str) -> None:
    assert read(text).intent is Intent.SCHEDULE_APPOINTMENT


@pytest.mark.parametrize(
    "text",
    [
        "¿hacen ecografías?",
        "tienen cardiologo",
        "quiero saber si hacen cirugias",
        "quiero saber que especialidades tienen",
    ],
)
def test_asking_whether_the_clinic_offers_a_service_or_doctor_stays_a_question(text: str) -> None:
    assert read(text).intent is Intent.CLINIC_INFO


def test_an_emergency_carries_no_clinic_topic() -> None:
    understood = read("me duele el pecho, donde quedan?")
    assert understood.intent is Intent.EMERGENCY
    assert understood.clinic_topics == ()


def test_sunday_gets_a_no_and_saturday_a_yes_from_the_hours() -> None:
    sunday, _ = reply("¿atienden los domingos?")
    saturday, _ = reply("abren los sabados?")
    assert sunday.startswith("No, los domingos no atendemos.")
    assert saturday == "Sí, los sábados atendemos de 08:00 a 12:00."


def test_asking_at_what_time_or_until_when_gets_the_hours_without_a_yes_or_no() -> None:
    saturday = wording.day(dt.date(2026, 11, 28))
    sunday = wording.day(dt.date(2026, 11, 29))
    assert reply("¿a qué hora abren el sábado?")[0] == f"El {saturday} atendemos de 08:00 a 12:00."
    assert reply("¿atienden el sábado?")[0] == f"Sí, el {saturday} atendemos de 08:00 a 12:00."
    today, _ = reply("¿a qué hora cierran hoy?")
    assert today.startswith(f"El {wording.day(WEDNESDAY.date())} atendemos de 08:00 a "), today
    assert reply("¿hasta qué hora atienden los sábados?")[0] == "Los sábados atendemos de 08:00 a 12:00."
    closed, _ = reply("¿a qué hora abren el domingo?")
    assert closed.startswith(f"El {sunday} no atendemos. Nuestro horario: "), closed
    assert reply("¿cuándo atienden los domingos?")[0].startswith("Los domingos no atendemos.")


def test_holidays_the_clinic_is_closed_on_get_a_plain_no() -> None:
    assert demo.CLINIC_HOURS.holidays == "En los feriados nacionales la clínica está cerrada."
    assert reply("¿atienden los feriados?") == ("No, en los feriados nacionales la clínica está cerrada.", True)
    # Asked when, or a line with hours in it: the staff's sentence as written.
    assert reply("¿qué horario tienen los feriados?")[0] == demo.CLINIC_HOURS.holidays
    half = demo.CLINIC_HOURS.model_copy(
        update={"holidays": "Los feriados atendemos de 08:00 a 12:00; el resto cerrado."}
    )
    assert reply("¿atienden los feriados?", ClinicInfo(hours=half))[0] == half.holidays


def test_a_day_the_hours_leave_out_is_closed_whatever_the_day() -> None:
    hours = Hours(weekdays={3: [Period(opens=dt.time(9), closes=dt.time(13))]})
    text, complete = reply("¿atienden los lunes?", ClinicInfo(hours=hours))
    assert complete
    assert text.startswith("No, los lunes no atendemos.")
    assert "de miércoles a miércoles" not in text and "miércoles de 09:00 a 13:00" in text


def test_the_price_of_one_specialty_is_the_seeded_one() -> None:
    text, complete = reply("cuanto sale la consulta con el pediatra")
    assert (text, complete) == (
        f"La consulta de Pediatría cuesta Bs {demo.CLINIC_PRICES.consultation_bs['pediatria']}.",
        True,
    )


def test_a_specialty_without_doctors_is_said_to_have_none_rather_than_priced() -> None:
    text, _ = reply("cuanto cuesta la consulta de traumatologia")
    assert text == "Por ahora no tenemos médicos de Traumatología."


def test_an_insurer_the_clinic_refuses_gets_an_honest_no() -> None:
    text, complete = reply("aceptan seguro? tengo caja nacional")
    assert complete
    assert text.startswith("No, no trabajamos con la Caja Nacional de Salud (CNS).")
    assert "Sí" not in text


def test_an_unnamed_insurer_gets_the_lists_and_a_person() -> None:
    text, complete = reply("aceptan seguro?")
    assert not complete
    assert "Trabajamos con BISA Seguros y Nacional Seguros." in text
    assert "No trabajamos con la Caja Nacional de Salud (CNS) ni con la Caja Petrolera de Salud." in text
    assert text.endswith(OFFER_PERSON)


def test_a_payment_method_not_listed_is_not_guessed() -> None:
    text, complete = reply("aceptan transferencia?")
    assert not complete
    assert "No tengo información sobre el pago con transferencia." in text


@pytest.mark.parametrize(
    "text",
    ["¿cuál es su horario?", "cuánto cuesta la consulta?", "¿dónde quedan?", "aceptan seguro?", "qué debo llevar"],
)
def test_a_topic_without_data_is_said_to_be_unknown_and_a_person_offered(text: str) -> None:
    said, complete = reply(text, ClinicInfo())
    assert not complete
    assert said.startswith("No tengo información sobre")
    assert said.endswith(OFFER_PERSON)
    assert "Bs" not in said and ":" not in said


@pytest.mark.parametrize("text", ["¿tienen resonancia magnética?", "¿hacen cirugía?", "cual es su telefono"])
def test_a_service_or_fact_the_data_does_not_hold_gets_no_information(text: str) -> None:
    said, complete = reply(text)
    assert not complete
    assert said.startswith("No tengo")
    assert "Sí" not in said


def test_a_listed_service_gets_a_yes_and_an_unlisted_one_the_list() -> None:
    info = ClinicInfo(services=Services(offered=[Named(name="ecografías", aliases=["ecografia", "ecografias"])]))
    yes, complete = reply("¿hacen ecografias?", info)
    unlisted, unknown = reply("¿hacen cirugía?", info)
    assert (yes, complete) == ("Sí, ofrecemos ecografías.", True)
    assert not unknown and "ecografías" in unlisted and unlisted.startswith("No tengo información sobre ese servicio.")


def test_fasting_unknown_is_said_while_what_to_bring_is_listed() -> None:
    text, complete = reply("qué debo llevar? tengo que ir en ayunas?")
    assert not complete
    for item in demo.CLINIC_PREPARATION.bring:
        assert item in text
    assert "No tengo información sobre si debe ir en ayunas." in text


def test_doctors_come_from_the_doctors_list() -> None:
    cardio, _ = reply("tienen cardiologo?")
    trauma, _ = reply("tienen traumatologo?")
    assert cardio == "Sí, en Cardiología atiende el Dr. Fernando Gutiérrez."
    assert trauma == "Por ahora no tenemos médicos de Traumatología."
    listing, _ = reply("qué especialidades tienen")
    for name, _code in demo.DOCTORS:
        assert name in listing
    assert "Traumatología" not in listing


def test_a_payment_row_with_only_refusals_never_says_yes() -> None:
    payment = Payment(methods=[], insurers=[Insurer(name="la CNS", aliases=["cns", "caja nacional"], accepted=False)])
    text, _ = reply("aceptan la caja nacional?", ClinicInfo(payment=payment))
    assert text == "No, no trabajamos con la CNS."


def test_the_evaluation_scores_clinic_info_as_other_only_where_the_set_says_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "clinic.jsonl"
    now = "2026-11-25T10:00:00-04:00"
    lines = [
        {"text": "atienden los domingos?", "now": now, "intent": "other"},
        {"text": "cuánto cuesta la consulta?", "now": now, "intent": "clinic_info"},
        {"text": "dónde quedan?", "now": now, "intent": "greeting"},
    ]
    labelled.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    eval_nlu.main([str(labelled)])
    out = capsys.readouterr().out
    assert "intent accuracy: 2/3 = 66.7%" in out
    assert "intent clinic_info != greeting" in out


def test_a_named_doctor_is_answered_with_the_days_of_their_schedule() -> None:
    schedules = {d.id: weekly_blocks(d.id, demo.SCHEDULES[d.full_name]) for d in DEMO_DOCTORS}
    text = "¿qué días atiende la doctora Vargas?"
    understood = understand(text, now=WEDNESDAY, tz=LA_PAZ, doctors=[d.full_name for d in DEMO_DOCTORS])
    assert understood.clinic_topics == (ClinicTopic.DOCTORS,)
    question = Question(understood.clinic_topics, text, understood.specialty, understood.date, understood.doctor)
    answered = answer(question, Facts(DEMO_INFO, DEMO_DOCTORS, demo.SPECIALTIES, schedules=schedules))
    assert answered.text == (
        "La Dra. Lucía Vargas (Pediatría) atiende de lunes a viernes de 08:00 a 12:00 y de 14:00 a 17:00; "
        "sábados de 08:00 a 12:00."
    )
    without = answer(question, Facts(DEMO_INFO, DEMO_DOCTORS, demo.SPECIALTIES))
    assert not without.complete
    assert without.text.startswith("No tengo información sobre los horarios de la Dra. Lucía Vargas")
