"""Understanding patients' WhatsApp Spanish: pure, fast unit tests on sentences written for them
(not the dev set's), against a fixed clock: Wednesday 25 November 2026, 10:00 in La Paz."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.understanding import Intent, Understanding, understand
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.emergency_model import DEFAULT_PATH, EmergencyModel
from gateway.understanding.normalize import normalize, phonetic
from tools import eval_nlu
from tools import nlu as nlu_cli

LA_PAZ = ZoneInfo("America/La_Paz")
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=LA_PAZ)
DOCTORS = ("Dra. Carmen Quispe", "Dr. Juan Mamani", "Dra. Ana Rojas", "Dr. Luis Paz")


def read(text: str, *, now: dt.datetime = WEDNESDAY, doctors: tuple[str, ...] = DOCTORS) -> Understanding:
    return understand(text, now=now, tz=LA_PAZ, doctors=doctors)


def on(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 10, 0, tzinfo=LA_PAZ)


INTENTS: dict[Intent, list[str]] = {
    Intent.GREETING: [
        "holaaa",
        "buen dia",
        "Buenas noches doctora",
        "hola, buenas tardes, mi nombre es Rosa Mamani",
        "ola k tal",
        "hola como esta",
        "buenas noches, disculpe la hora",
        "holaaaa buenas tardessss",
        "hola 👋",
    ],
    Intent.SCHEDULE_APPOINTMENT: [
        "hola quiero una cita",
        "kiero sacar ficha pal pediatra",
        "reservame una hora con el oftalmologo para el viernes a las 4",
        "tienen espacio para mañana en la tarde?",
        "me pueden atender hoy?",
        "necesito q me vea un doctor xq tengo fiebre",
        "una cita x favor",
        "puede ser el jueves a las 8?",
        "Quisiera programar una consulta con pediatría",
        "porfa agendame pal viernes a las 10",
        "nesecito un turno pa mi nene",
        "no tengo dolor de pecho, solo quiero una cita de control",
        "no, quiero agendar una cita",
    ],
    Intent.CANCEL_APPOINTMENT: [
        "cancelar cita",
        "kiero kancelar mi sita de mñn",
        "por favor anulen mi turno del lunes",
        "no podre asistir a mi cita del viernes",
        "ya no necesito la cita, gracias",
        "elimine mi cita por favor",
        "cnacelar mi cita",
        "me surgió un imprevisto y no podré ir, cancélela",
    ],
    Intent.RESCHEDULE_APPOINTMENT: [
        "necesito cambiar la hora de mi cita",
        "se puede pasar mi cita para el jueves?",
        "quiero reagendar para la proxima semana",
        "no voy a poder ir el jueves, me la cambia para el viernes?",
        "no puedo ir a mi cita del lunes, hay otro dia?",
        "quiero postergar mi cita",
        "me equivoque de dia, quiero cambiarla",
        "reprogramr mi turno",
        # The appointment named by its day, hour or by holding it, and a move said in a word (issue 16).
        "mover la del viernes",
        "yo quería cambiar la de las 15:00, no sacar otra",
        "no, quería cambiar la que tengo",
        "no puedo ir el viernes, ¿me la cambia?",
        "pasarla para el lunes",
        "me puede cambiar al lunes?",
        "cámbiemela para el jueves por favor",
        "se puede adelantar para el martes?",
        "adelantar",
        "postergar",
    ],
    Intent.LIST_APPOINTMENTS: [
        "que dia es mi cita",
        "tengo cita mañana?",
        "cuales son mis citas",
        "a q hora es mi turno con el pediatra?",
        "olvide a que hora era mi cita",
        "cuando me toca?",
        "mi cita de mañana sigue en pie?",
        "tengo algo agendado?",
    ],
    Intent.CONFIRM: [
        "si",
        "siii",
        "ok",
        "👍",
        "claro que si",
        "de acuerdo",
        "la 2",
        "si, agendelo",
        "si, a las 10",
        "ta bien",
        "sí, gracias",
        "ok, entonces el lunes a las 10",
    ],
    Intent.DENY: [
        "no",
        "noooo",
        "no gracias",
        "nop",
        "no puedo a esa hora",
        "no me conviene",
        "otro horario por favor",
        "ninguno de esos horarios",
        "no, ese dia no me sirve",
        "no quiero cita",
    ],
    Intent.HUMAN_HANDOFF: [
        "si, con una persona",
        "que mala atencion la del sabado, espere 2 horas y la doctora ni me miro",
        "quiero poner una queja",
        "hablar con un humano",
        "quiero hablar con la secretaria",
        "pasame con recepcion",
        "eres un bot? quiero hablar con alguien real",
        "me pueden llamar por telefono?",
        "no quiero hablar con una maquina",
        "operadora",
    ],
    Intent.EMERGENCY: [
        "me duele mucho el pecho",
        "mi mama no puede respirar",
        "se desmallo mi esposo",
        "mi bebe esta convulcionando",
        "estoy embarazada y estoy sangrando",
        "me quiero morir",
        "me kiero suisidar",
        "le falta el aire y tiene los labios morados",
        "mi hijo se trago una pila",
        "esta inconciente y no responde",
        "sangra mucho la herida y no para",
        "dolor en el pexo",
        "no puedo respirr",
        "EMERGENCIA",
        "se me durmio la mitad del cuerpo",
    ],
    Intent.THANKS_GOODBYE: [
        "ya pues, gracias igual",
        "gracias",
        "muchas grax",
        "ok gracias",
        "adios, que tenga buen dia",
        "gracias 🙏",
        "hasta mañana",
        "muy amable, bendiciones",
        "gracias por la informacion",
        "graciassss",
    ],
    Intent.CLINIC_INFO: [
        "donde estan ubicados?",
        "cual es el horario de atencion",
        "cuanto sale la consulta con el pediatra",
        "aceptan tarjeta?",
        "atienden emergencias?",
        "trabajan los feriados?",
        "¿atienden el 25 de diciembre?",
    ],
    Intent.OTHER: [
        "hoy no tengo ganas de nada la verdad",
        "que puedo tomar para el dolor de cabeza",
        "necesito un certificado medico",
        "qué tal el clima",
        "no se",
        "asdfgh",
    ],
}


@pytest.mark.parametrize(
    ("text", "intent"), [(text, intent) for intent, texts in INTENTS.items() for text in texts], ids=repr
)
def test_each_intent_is_recognised_in_whatsapp_spanish(text: str, intent: Intent) -> None:
    assert read(text).intent is intent


@pytest.mark.parametrize(
    "text",
    [
        "adelante, la de las 10",
        "la de las 3 por favor",
        "quiero cambiar la dosis del medicamento",
        "me cambié al seguro nuevo",
        "no puede mover la pierna",
    ],
)
def test_words_near_a_move_are_not_one(text: str) -> None:
    assert read(text).intent is not Intent.RESCHEDULE_APPOINTMENT


@pytest.mark.parametrize(
    "text",
    [
        "hola, tengo dolor en el pecho y me cuesta respirar, quiero una cita",
        "quiero cancelar mi cita porque mi hijo se desmayó",
        "gracias, pero tengo una hemorragia",
        "tengo dolor de pecho y quiero sacar cita con cardiologo",
    ],
)
def test_an_emergency_wins_over_every_other_intent(text: str) -> None:
    assert read(text).intent is Intent.EMERGENCY


@pytest.mark.parametrize("text", ["no tengo dolor de pecho", "mi papa ya no tiene convulsiones, quiero un control"])
def test_a_denied_symptom_is_not_an_emergency(text: str) -> None:
    assert read(text).intent is not Intent.EMERGENCY


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("cita para hoy", WEDNESDAY, dt.date(2026, 11, 25)),
        ("cita para mañana a las 10", WEDNESDAY, dt.date(2026, 11, 26)),
        ("pa mñn", WEDNESDAY, dt.date(2026, 11, 26)),
        ("pasado mañana", WEDNESDAY, dt.date(2026, 11, 27)),
        ("el viernes", WEDNESDAY, dt.date(2026, 11, 27)),
        ("el lunes", WEDNESDAY, dt.date(2026, 11, 30)),
        ("el miercoles", WEDNESDAY, dt.date(2026, 12, 2)),  # said on a Wednesday: next week's
        ("el mierkoles", WEDNESDAY, dt.date(2026, 12, 2)),
        ("el proximo lunes", WEDNESDAY, dt.date(2026, 11, 30)),
        ("el viernes de la proxima semana", WEDNESDAY, dt.date(2026, 12, 4)),
        ("la semana que viene el miercoles", WEDNESDAY, dt.date(2026, 12, 2)),
        ("el jueves 10", WEDNESDAY, dt.date(2026, 12, 10)),
        ("el sábado 5", WEDNESDAY, dt.date(2026, 12, 5)),
        ("15 de diciembre", WEDNESDAY, dt.date(2026, 12, 15)),
        ("el quince de dic", WEDNESDAY, dt.date(2026, 12, 15)),
        ("el 25 de noviembre", WEDNESDAY, dt.date(2026, 11, 25)),  # today, not next year
        ("el 20 de noviembre", WEDNESDAY, dt.date(2027, 11, 20)),
        ("el 10/12", WEDNESDAY, dt.date(2026, 12, 10)),
        ("el 2 de febrero del 2027", WEDNESDAY, dt.date(2027, 2, 2)),
        ("para el 30", WEDNESDAY, dt.date(2026, 11, 30)),
        ("para el 20", WEDNESDAY, dt.date(2026, 12, 20)),
        ("dentro de 3 dias", WEDNESDAY, dt.date(2026, 11, 28)),
        ("en una semana", WEDNESDAY, dt.date(2026, 12, 2)),
        ("esta tarde", WEDNESDAY, dt.date(2026, 11, 25)),
        # month and year boundaries
        ("mañana", on(2026, 12, 31), dt.date(2027, 1, 1)),
        ("el lunes", on(2026, 12, 30), dt.date(2027, 1, 4)),
        ("el lunes", on(2026, 11, 30), dt.date(2026, 12, 7)),  # said on a Monday
        ("el 15 de enero", on(2026, 12, 30), dt.date(2027, 1, 15)),
        ("el 31", on(2027, 2, 1), dt.date(2027, 3, 31)),
        ("pasado mañana", on(2028, 2, 28), dt.date(2028, 3, 1)),
    ],
)
def test_dates_resolve_against_the_clinic_today(text: str, now: dt.datetime, expected: dt.date) -> None:
    assert read(text, now=now).date == expected


@pytest.mark.parametrize(
    "text", ["por la mañana", "a las 10 de la mañana", "la próxima semana", "atienden los lunes?", "a las 3"]
)
def test_no_date_is_invented(text: str) -> None:
    assert read(text).date is None


def test_now_in_another_zone_is_read_in_the_clinic_zone() -> None:
    late_evening_in_la_paz = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # 25 Nov, 22:00 in La Paz
    assert read("mañana", now=late_evening_in_la_paz).date == dt.date(2026, 11, 26)
    assert read("mañana", now=late_evening_in_la_paz.replace(tzinfo=None)).date == dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a las 10", dt.time(10, 0)),
        ("a las 3", dt.time(15, 0)),  # 1 to 6 without am/pm: clinic afternoon
        ("a las 6", dt.time(18, 0)),
        ("a las 7", dt.time(7, 0)),
        ("a las 12", dt.time(12, 0)),
        ("a las 6 de la mañana", dt.time(6, 0)),
        ("a las 3 de la mañana", dt.time(3, 0)),
        ("a las 7 de la noche", dt.time(19, 0)),
        ("en la noche a las 8", dt.time(20, 0)),
        ("el lunes 4 de la tarde", dt.time(16, 0)),
        ("a las 10 y media", dt.time(10, 30)),
        ("a las diez y media", dt.time(10, 30)),
        ("a la una de la tarde", dt.time(13, 0)),
        ("a las 4 menos cuarto", dt.time(15, 45)),
        ("a las 3 y cuarto", dt.time(15, 15)),
        ("a las 9:30", dt.time(9, 30)),
        ("a las 9.30", dt.time(9, 30)),
        ("15:00", dt.time(15, 0)),
        ("4:30 pm", dt.time(16, 30)),
        ("9am", dt.time(9, 0)),
        ("pasado mañana 3pm", dt.time(15, 0)),
        ("17 hrs", dt.time(17, 0)),
        ("a eso de las 5", dt.time(17, 0)),
        ("al mediodia", dt.time(12, 0)),
        ("a medio dia", dt.time(12, 0)),
    ],
)
def test_clock_times_follow_the_clinic_day(text: str, expected: dt.time) -> None:
    assert read(text).time == expected


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("el lunes por la tarde", "afternoon"),
        ("mañana en la mañana", "morning"),
        ("mañana temprano", "morning"),
        ("esta noche", "evening"),
        ("para la tarde", "afternoon"),
    ],
)
def test_a_part_of_the_day_without_a_time_is_kept_apart(text: str, part: str) -> None:
    result = read(text)
    assert (result.time, result.time_of_day) == (None, part)


def test_mañana_is_tomorrow_but_la_mañana_is_the_morning() -> None:
    result = read("mañana por la mañana")
    assert (result.date, result.time_of_day) == (dt.date(2026, 11, 26), "morning")
    assert read("a las 10 de la mañana").date is None


def test_el_lunes_por_la_tarde_is_next_monday_afternoon_without_a_time() -> None:
    result = read("quiero una cita el lunes por la tarde")
    assert (result.intent, result.date, result.time, result.time_of_day) == (
        Intent.SCHEDULE_APPOINTMENT,
        dt.date(2026, 11, 30),
        None,
        "afternoon",
    )


def test_a_time_of_day_is_dropped_once_a_clock_time_is_given() -> None:
    result = read("el lunes a las 4 de la tarde")
    assert (result.time, result.time_of_day) == (dt.time(16, 0), None)


@pytest.mark.parametrize(
    ("text", "moved_to"),
    [
        ("me gustaria pasar la cita del lunes al miercoles", dt.date(2026, 12, 2)),
        ("podemos mover la consulta del viernes al lunes", dt.date(2026, 11, 30)),
        ("mi cita del 2 de diciembre pasala al 4", dt.date(2026, 12, 4)),
    ],
)
def test_a_reschedule_takes_the_new_date_not_the_old_one(text: str, moved_to: dt.date) -> None:
    result = read(text)
    assert (result.intent, result.date) == (Intent.RESCHEDULE_APPOINTMENT, moved_to)


@pytest.mark.parametrize(
    ("text", "intent", "weekday"),
    [
        ("ya no puedo el viernes, mejor el lunes", Intent.SCHEDULE_APPOINTMENT, 0),
        ("el jueves no puedo, mejor el lunes", Intent.SCHEDULE_APPOINTMENT, 0),
        ("mejor el lunes, el jueves no puedo", Intent.SCHEDULE_APPOINTMENT, 0),
        ("quiero una cita para el viernes, el lunes no me sirve", Intent.SCHEDULE_APPOINTMENT, 4),
        ("la cita del viernes la quiero para el lunes", Intent.RESCHEDULE_APPOINTMENT, 0),
        ("no voy a poder ir el jueves, me la cambia para el viernes?", Intent.RESCHEDULE_APPOINTMENT, 4),
        # Every day named is refused: it still names the appointment.
        ("no voy a poder ir el viernes", Intent.DENY, 4),
    ],
)
def test_the_day_wanted_is_the_one_not_refused(text: str, intent: Intent, weekday: int) -> None:
    result = read(text)
    assert result.intent is intent and result.date is not None and result.date.weekday() == weekday


def test_cancelling_takes_the_date_of_the_appointment_cancelled() -> None:
    assert read("necesito anular la cita del viernes").date == dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "specialty"),
    [
        ("con el pediatra", "pediatria"),
        ("una cita para mi bebe", "pediatria"),
        ("cita pa mi wawa", "pediatria"),
        ("con la ginecologa", "ginecologia"),
        ("control prenatal", "ginecologia"),
        ("cardiología", "cardiologia"),
        ("algo del corazon", "cardiologia"),
        ("con el dermatólogo", "dermatologia"),
        ("tengo manchas en la piel", "dermatologia"),
        ("me duele una muela", "odontologia"),
        ("con el dentista", "odontologia"),
        ("consulta odontologica", "odontologia"),
        ("me fracture el brazo", "traumatologia"),
        ("me duelen los huesos", "traumatologia"),
        ("con el traumatologo", "traumatologia"),
        ("veo borroso de un ojo", "oftalmologia"),
        ("con el oftamologo", "oftalmologia"),
        ("necesito lentes nuevos", "oftalmologia"),
        ("medicina general", "medicina_general"),
        ("un chequeo general", "medicina_general"),
        ("el medico familiar", "medicina_general"),
        ("me duele la muela, quiero al dentista, no al pediatra", "odontologia"),
    ],
)
def test_specialties_come_from_names_and_complaints(text: str, specialty: str) -> None:
    assert read(text).specialty == specialty


@pytest.mark.parametrize("text", ["necesito ver a un doctor", "lo he visto en el mapa", "en general bien"])
def test_no_specialty_is_invented(text: str) -> None:
    assert read(text).specialty is None


@pytest.mark.parametrize(
    ("text", "doctor"),
    [
        ("la dra quispe", "Dra. Carmen Quispe"),
        ("con la doctora kispe", "Dra. Carmen Quispe"),
        ("Carmen Quispe", "Dra. Carmen Quispe"),
        ("agendeme con el dr mamani", "Dr. Juan Mamani"),
        ("con mamany", "Dr. Juan Mamani"),
        ("con rojas mañana", "Dra. Ana Rojas"),
        ("la doctora paz", "Dr. Luis Paz"),
        ("estoy en la paz, quiero cita", None),
        ("mi hijo juan tiene fiebre", None),
        ("mamani nomás", "Dr. Juan Mamani"),
        # A patient's own surname is not a doctor ("Mamani" and "Quispe" are the commonest names here).
        ("es para mi mamá, Justina López Mamani, quiere cardiología el viernes", None),
        ("mi esposo Pedro Mamani Quispe necesita cita el sábado", None),
        ("quiero cita con el doctor mamani el viernes", "Dr. Juan Mamani"),
    ],
)
def test_doctors_are_matched_by_name_with_typos(text: str, doctor: str | None) -> None:
    assert read(text).doctor == doctor


def test_two_doctors_named_alike_are_not_guessed_between() -> None:
    assert read("con el dr rojas", doctors=("Dr. Pedro Rojas", "Dr. Mario Rojas")).doctor is None
    assert read("con la dra rojas", doctors=("Dr. Pedro Rojas", "Dra. Ana Rojas")).doctor == "Dra. Ana Rojas"


@pytest.mark.parametrize(
    ("written", "normalized"),
    [
        ("kiero una sita pa mñn", "kiero una sita para manana"),
        ("cancela mi cita xfa", "cancela mi cita por favor"),
        ("HOLAAAA!!! 😊", "hola"),
        ("q tal, tmb xq", "que tal tambien porque"),
        ("siiii 👍", "si ok"),
        ("a las 3pm", "a las 3 pm"),
        ("a las 9.30", "a las 9:30"),
        ("llamar al carro", "llamar al carro"),
        ("Mañana, cardiología", "manana cardiologia"),
    ],
)
def test_whatsapp_writing_is_normalized(written: str, normalized: str) -> None:
    assert normalize(written) == normalized


@pytest.mark.parametrize(("a", "b"), [("cita", "sita"), ("quiero", "kiero"), ("desmayo", "desmallo"), ("hola", "ola")])
def test_words_that_sound_alike_share_a_key(a: str, b: str) -> None:
    assert phonetic(a) == phonetic(b)


def test_the_example_request_is_understood_in_full() -> None:
    result = read("quiero cita con el pediatra mañana a las 10")
    assert result.as_json() == {
        "intent": "schedule_appointment",
        "date": "2026-11-26",
        "time": "10:00",
        "specialty": "pediatria",
        "doctor": None,
        "time_of_day": None,
        "clinic_topics": None,
        "small_talk": None,
        "confidence": result.confidence,
    }
    assert 0.5 < result.confidence <= 1


@pytest.mark.parametrize(
    "text",
    ["hace frío hoy no?", "qué calor hace hoy", "hoy es mi cumpleaños", "hoy llueve mucho", "mañana es feriado no?"],
)
def test_a_day_named_in_chatter_is_not_a_booking(text: str) -> None:
    assert read(text).intent is not Intent.SCHEDULE_APPOINTMENT


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("mañana a las 10", dt.date(2026, 11, 26)),
        ("el lunes por la tarde", dt.date(2026, 11, 30)),
        ("para hoy", dt.date(2026, 11, 25)),
        ("hace frío, quiero cita para el lunes", dt.date(2026, 11, 30)),
    ],
)
def test_a_day_alone_or_with_a_request_is_still_a_booking(text: str, date: dt.date) -> None:
    understood = read(text)
    assert (understood.intent, understood.date) == (Intent.SCHEDULE_APPOINTMENT, date)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("no me desmayé, solo me mareé un poco ayer", Intent.OTHER),
        ("mi hijo se cayó y se raspó la rodilla", Intent.OTHER),
        ("hace tiempo tuve un desmayo, quiero hacerme estudios", Intent.SCHEDULE_APPOINTMENT),
        ("mi abuela se cayó ayer, está bien pero quiero que la revisen", Intent.SCHEDULE_APPOINTMENT),
    ],
)
def test_a_day_past_or_a_scraped_knee_is_no_booking_but_tests_or_a_visit_wanted_are(text: str, intent: Intent) -> None:
    assert read(text).intent is intent


@pytest.mark.parametrize(
    ("text", "specialty"),
    [
        ("mi hijo se cayó y se raspó la rodilla", None),
        ("me duele la rodilla", "traumatologia"),
        ("tengo la rodilla hinchada", "traumatologia"),
        ("quiero cita para la rodilla", "traumatologia"),
        ("problemas de columna", "traumatologia"),
    ],
)
def test_a_joint_points_to_traumatology_only_when_it_hurts_or_is_the_reason(text: str, specialty: str | None) -> None:
    assert read(text).specialty == specialty


@pytest.mark.parametrize(
    ("text", "specialty"),
    [
        ("cita para vacunas del bebé", "pediatria"),
        ("cita para vacunas de mi hijo", "pediatria"),
        ("quiero vacunar a mi hija", "pediatria"),
        ("mi hijo necesita sus vacunas", "pediatria"),
        ("quiero vacunarme", None),
        ("mi hijo tiene tos", None),
    ],
)
def test_a_child_s_vaccines_point_to_pediatrics(text: str, specialty: str | None) -> None:
    assert read(text).specialty == specialty


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("¿cuántas gotas de paracetamol para mi bebé de 6 kilos?", Intent.OTHER),
        ("la amoxicilina de 250 es cada 8 horas, ¿se toma con comida?", Intent.OTHER),
        ("¿qué requisitos piden para la primera cita?", Intent.OTHER),
        ("me comunica con enfermería por favor", Intent.HUMAN_HANDOFF),
        ("¿hay alguien de caja? no me llegó la factura", Intent.HUMAN_HANDOFF),
        ("quiero cita, tomo losartán cada mañana", Intent.SCHEDULE_APPOINTMENT),
        ("quiero revisar las citas que mi papá tiene programadas", Intent.LIST_APPOINTMENTS),
        ("dejé la terapia, ahora quiero retomar mis controles con psiquiatría", Intent.SCHEDULE_APPOINTMENT),
    ],
)
def test_a_dose_or_the_papers_asked_about_are_no_booking_and_a_nurse_or_the_till_is_a_person(
    text: str, intent: Intent
) -> None:
    assert read(text).intent is intent


def test_an_unclear_message_gets_low_confidence() -> None:
    assert read("asdfgh").confidence < read("quiero cancelar mi cita").confidence


def test_a_very_long_message_is_understood_quickly() -> None:
    result = read("quiero una cita mañana " + "bla " * 5000)
    assert result.intent is Intent.SCHEDULE_APPOINTMENT


def test_the_cli_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    nlu_cli.main(
        ["kiero una sita pa mñn a las 10", "--now", "2026-11-25T10:00:00-04:00", "--doctor", "Dr. Juan Mamani"]
    )
    assert json.loads(capsys.readouterr().out) == {
        "intent": "schedule_appointment",
        "date": "2026-11-26",
        "time": "10:00",
        "specialty": None,
        "doctor": None,
        "time_of_day": None,
        "clinic_topics": None,
        "small_talk": None,
        "confidence": 0.93,
    }


def test_the_evaluation_prints_intent_and_entity_accuracy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labelled = tmp_path / "small.jsonl"
    now = "2026-11-25T10:00:00-04:00"
    labelled.write_text(
        "\n".join(
            json.dumps(line, ensure_ascii=False)
            for line in [
                {"text": "hola", "now": now, "intent": "greeting"},
                {"text": "cita mañana a las 10", "now": now, "intent": "schedule_appointment", "date": "2026-11-26"},
                {"text": "gracias", "now": now, "intent": "deny", "time": "09:00"},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    eval_nlu.main([str(labelled)])
    out = capsys.readouterr().out
    assert "intent accuracy: 2/3 = 66.7%" in out
    assert "entity accuracy: 1/2 = 50.0%" in out
    assert "line 3: 'gracias' intent thanks_goodbye != deny" in out
    assert "line 3: 'gracias' time None != 09:00" in out


@pytest.mark.parametrize(
    "text", ["no gracias luego", "mejor no, la dejo", "no, después", "lo dejamos así", "después le escribo"]
)
def test_not_now_is_a_no(text: str) -> None:
    assert read(text).intent is Intent.DENY


def test_when_a_symptom_began_is_not_the_day_wanted() -> None:
    understood = read("buenas, me duele un poco la garganta desde ayer, hay ficha para mañana?")
    assert understood.intent is Intent.SCHEDULE_APPOINTMENT
    assert understood.date == (WEDNESDAY + dt.timedelta(days=1)).date()


def test_a_price_asked_by_someone_without_insurance_is_a_price_question_not_their_appointments() -> None:
    understood = read("no tengo seguro, cuanto es la consulta?")
    assert understood.intent is Intent.CLINIC_INFO
    assert ClinicTopic.PRICES in understood.clinic_topics


def test_a_complaint_is_handed_to_a_person_with_an_apology() -> None:
    assert read("pesima atencion, me trataron mal en recepcion").complaint
    assert not read("quiero hablar con una persona").complaint


def test_asking_whether_a_doctor_can_see_me_is_a_booking_even_inside_a_long_story() -> None:
    understood = read(
        "hola que tal mire le cuento tengo como una semana con dolor de espalda abajito no es fuerte nomas molesta "
        "cuando me agacho a lavar la ropa y queria saber si hay algun doctor que me pueda ver esta semana pues, en "
        "la tarde de preferencia porque trabajo en la mañana"
    )
    assert (understood.intent, understood.time_of_day) == (Intent.SCHEDULE_APPOINTMENT, "afternoon")
    assert read("que doctores tienen?").intent is Intent.CLINIC_INFO


def test_a_booking_that_asks_for_any_doctor_does_not_also_ask_the_doctors_list() -> None:
    """The booking asks which specialty with the list; answering the doctors too printed it twice."""
    assert read("queria saber si hay algun doctor que me pueda ver esta semana").clinic_topics == ()
    assert ClinicTopic.DOCTORS in read("tienen cardiologo? quiero cita").clinic_topics


@pytest.mark.parametrize("reference", ["ACB0D8B0", "3D959D39", "4A450789", "2D176833", "3f2a91c0"])
def test_an_appointment_reference_is_a_code_not_words(reference: str) -> None:
    # Read as words, "ACB0D8B0" was "acb 0 de 8 b 0": "acb" is close to "acv", a stroke, and it was an emergency.
    assert (read(f"la {reference}").intent, read(reference).intent) == (Intent.OTHER, Intent.OTHER)
    cancel = read(f"cancelar la cita {reference}")
    assert (cancel.intent, cancel.date, cancel.time) == (Intent.CANCEL_APPOINTMENT, None, None)


def test_a_refusal_is_looked_for_only_near_its_day() -> None:
    # A "no puedo" far before a day, or in another clause, does not refuse it. (The look back is bounded, so a
    # message of many dates costs no more per date: reading back to its start took 140 ms at 4096 characters.)
    far = read("no puedo " + "ni " * 40 + "el viernes")
    other_clause = read("no puedo, pero el viernes sí")
    assert far.date is not None and far.date.weekday() == 4
    assert other_clause.date is not None and other_clause.date.weekday() == 4


@pytest.mark.parametrize(
    ("text", "weekday", "part"),
    [
        ("sábado 5 en la mañana", 5, "morning"),
        ("lunes 7 en la mañana", 0, "morning"),
        ("el 5 en la tarde", None, "afternoon"),
    ],
)
def test_the_day_s_number_before_a_part_of_the_day_is_not_an_hour(text: str, weekday: int | None, part: str) -> None:
    # QA: "sábado 5 en la mañana" was told "No hay un horario libre el sábado 5 de diciembre a las 05:00".
    result = read(text)
    assert (result.time, result.time_of_day) == (None, part)
    assert result.date is not None and (weekday is None or result.date.weekday() == weekday)


@pytest.mark.parametrize("text", ["bueno, la tomo", "sí, la tomo", "bueno, lo tomo"])
def test_taking_an_offered_slot_is_no_emergency(text: str) -> None:
    # QA: accepting a waitlist offer with "bueno, la tomo" was answered as an emergency by the learned model.
    model = EmergencyModel.load(DEFAULT_PATH)
    assert understand(text, now=WEDNESDAY, tz=LA_PAZ, emergency_model=model).intent is not Intent.EMERGENCY
