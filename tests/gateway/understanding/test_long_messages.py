"""Long messages read by their sentences: the one that asks for something wins over greetings, thanks and stories,
and the work done stays bounded however long the message (up to WhatsApp's 4096 characters)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gateway.understanding import Intent, Understanding, nlu, understand
from gateway.understanding.clinic_topics import ClinicTopic
from gateway.understanding.family import Mention, whom
from gateway.understanding.sentences import split_sentences
from tests.support.long_messages import VOICE_NOTE, VOICE_NOTE_FOR_PEDRO

LA_PAZ = ZoneInfo("America/La_Paz")
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=LA_PAZ)
SATURDAY = dt.date(2026, 11, 28)
DOCTORS = ("Dra. Carmen Quispe", "Dr. Jorge Mamani")
# A story of the sort patients tell before they ask (no request, no date, no emergency): 300 characters.
STORY = (
    "Le cuento que mi mamá ya tiene 74 años y vive sola en Villa Fátima, mis hermanos están en Argentina y yo la "
    "visito los domingos cuando puedo, ella es bien tranquila pero últimamente anda cansada y medio triste, dice que "
    "extraña a mi papá que falleció hace dos años, y casi no come. "
)


def read(text: str) -> Understanding:
    return understand(text, now=WEDNESDAY, tz=LA_PAZ, doctors=DOCTORS)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hola. Quiero una cita", ["Hola.", "Quiero una cita"]),
        ("¡Hola! ¿Atienden el sábado? Gracias…", ["¡Hola!", "¿Atienden el sábado?", "Gracias…"]),
        ("Buenas\n\nquiero una ficha\nbendiciones", ["Buenas", "quiero una ficha", "bendiciones"]),
        # Dots between digits end nothing: a carnet number, a clock time.
        ("Mi carnet es 6.234.871 LP. A las 9.30 puedo.", ["Mi carnet es 6.234.871 LP.", "A las 9.30 puedo."]),
        ('Me dijo "vaya nomás." Y fui.', ['Me dijo "vaya nomás."', "Y fui."]),
        ("... ?? hola", ["hola"]),
        ("", []),
    ],
)
def test_a_message_is_cut_into_its_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text, most=10) == sentences


def test_past_the_most_sentences_the_last_one_holds_the_rest() -> None:
    assert split_sentences("Uno. Dos. Tres. Cuatro.", most=2) == ["Uno.", "Dos. Tres. Cuatro."]


def test_the_voice_note_is_a_booking_for_saturday_morning_in_general_medicine() -> None:
    understood = read(VOICE_NOTE)

    assert understood.intent is Intent.SCHEDULE_APPOINTMENT
    assert (understood.date, understood.specialty) == (SATURDAY, "medicina_general")
    # "Sale a las seis de la mañana" is when he leaves for work, not the hour wanted.
    assert (understood.time, understood.time_of_day) == (None, "morning")
    assert not understood.complaint


def test_an_hour_in_the_story_or_after_hasta_is_not_the_hour_wanted() -> None:
    # QA: "No hay un horario libre el sábado a las 05:00", from "sale de la casa a las cinco de la mañana"; then
    # 12:00, from "no trabaja hasta el mediodía". The request said "el sábado en la mañana, tempranito".
    understood = read(VOICE_NOTE_FOR_PEDRO)

    assert understood.intent is Intent.SCHEDULE_APPOINTMENT
    assert (understood.date, understood.specialty) == (SATURDAY, "medicina_general")
    assert (understood.time, understood.time_of_day) == (None, "morning")
    assert whom(VOICE_NOTE_FOR_PEDRO) == Mention(name="Pedro Mamani Quispe")


def test_a_request_after_a_long_story_wins_over_the_story_and_the_thanks() -> None:
    text = STORY + "Quisiera cancelar la cita que tiene el viernes con la doctora Quispe. Muchas gracias, bendiciones."

    understood = read(text)

    assert understood.intent is Intent.CANCEL_APPOINTMENT
    assert understood.doctor == "Dra. Carmen Quispe"


def test_a_question_in_another_sentence_is_answered_with_the_booking() -> None:
    text = STORY + "Quiero una cita para ella con medicina general el jueves. ¿Cuánto cuesta la consulta? Gracias."

    understood = read(text)

    assert understood.intent is Intent.SCHEDULE_APPOINTMENT
    assert (understood.specialty, understood.date) == ("medicina_general", dt.date(2026, 11, 26))
    assert ClinicTopic.PRICES in understood.clinic_topics


def test_a_long_message_without_a_request_is_read_whole() -> None:
    text = "Buenas tardes. " + STORY + "Gracias por escucharme, que tenga linda tarde."

    understood = read(text)

    # Nothing to book or answer from the clinic's data: the model replies to the story.
    assert (understood.intent, understood.date, understood.specialty) == (Intent.OTHER, None, None)


def test_an_emergency_anywhere_in_a_long_message_wins() -> None:
    text = STORY + "Ahora se desmayó en la cocina y no reacciona. Quería una cita para el sábado."

    assert read(text).intent is Intent.EMERGENCY


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("reclamo", True),
        ("tengo una queja", True),
        ("quiero quejarme de la atención", True),
        ("libro de reclamaciones", True),
        ("me quejé en recepción y nadie me hizo caso", True),
        ("me quejo de dolor de cabeza", False),
        ("mi esposo se queja de la espalda", False),
        ("mi hijita se quejaba de dolor de barriga toda la noche", False),
    ],
)
def test_pain_complained_of_is_no_complaint_about_the_clinic(text: str, complaint: bool) -> None:
    understood = read(text)

    assert (understood.intent is Intent.HUMAN_HANDOFF, understood.complaint) == (complaint, complaint)


def test_a_request_past_the_first_2000_characters_is_read() -> None:
    filler = (STORY * 14)[:3900]
    text = filler + "Quiero una cita con el Dr. Mamani para el sábado."

    understood = read(text)

    assert len(text) <= nlu.MAX_CHARS
    assert (understood.intent, understood.doctor, understood.date) == (
        Intent.SCHEDULE_APPOINTMENT,
        "Dr. Jorge Mamani",
        SATURDAY,
    )


def test_however_many_sentences_ask_for_something_only_a_few_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    read_texts: list[str] = []
    original = nlu._read

    def counting(text: str, *args: object, **kwargs: object) -> Understanding:
        read_texts.append(text)
        return original(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nlu, "_read", counting)
    text = ("Quiero una cita el sábado. " * 200)[: nlu.MAX_CHARS]

    assert read(text).intent is Intent.SCHEDULE_APPOINTMENT
    assert len(read_texts) == 1 + nlu.PARTS_READ  # the whole message, then the sentences


@pytest.mark.parametrize(
    ("repeated", "said_thrice"),
    [("🙏" * 4096, "🙏🙏🙏"), ("jaja" * 1000 + "ja", "jajaja"), ("gracias!!!!!!!!", "gracias!!!")],
)
def test_the_same_thing_said_over_and_over_is_read_as_said_three_times(repeated: str, said_thrice: str) -> None:
    assert read(repeated) == read(said_thrice)


def test_a_wall_of_emoji_does_not_hide_the_request_after_it() -> None:
    wall = "".join("👍🙏👋"[(i + i // 3) % 3] for i in range(4000))

    understood = read(wall + "\nquiero una cita el sábado")

    assert (understood.intent, understood.date) == (Intent.SCHEDULE_APPOINTMENT, SATURDAY)


def test_a_bare_detail_right_after_the_request_finishes_it() -> None:
    text = STORY + "Quisiera una cita para ella con medicina general. Puede ser el jueves en la tarde. Gracias."

    understood = read(text)

    assert (understood.intent, understood.specialty) == (Intent.SCHEDULE_APPOINTMENT, "medicina_general")
    assert (understood.date, understood.time_of_day) == (dt.date(2026, 11, 26), "afternoon")


def test_a_time_told_in_the_story_before_the_request_is_not_the_time_wanted() -> None:
    text = STORY + "Ella se levanta a las 5 de la mañana. Quisiera una cita para ella el viernes. Gracias."

    understood = read(text)

    assert (understood.intent, understood.date, understood.time) == (
        Intent.SCHEDULE_APPOINTMENT,
        dt.date(2026, 11, 27),
        None,
    )


def test_the_specialty_of_another_request_in_the_message_is_not_this_ones() -> None:
    text = STORY + "Quiero cancelar la cita del viernes. También quiero una cita con pediatría para el lunes. Gracias."

    understood = read(text)

    assert (understood.intent, understood.date) == (Intent.CANCEL_APPOINTMENT, dt.date(2026, 11, 27))
    assert understood.specialty is None
