"""Reading short answers: codes, option numbers, times of offered slots, references."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from gateway.conversation import choices

LA_PAZ = ZoneInfo("America/La_Paz")


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("1234", 4, "1234"),
        ("son 12 34", 4, "1234"),
        ("mis últimos dígitos: 0001", 4, "0001"),
        ("123-456", 6, "123456"),
        ("el código es 654 321 gracias", 6, "654321"),
        ("12345", 4, None),
        ("1234 y 5678", 4, None),
        ("no sé", 4, None),
        ("1234", 6, None),
    ],
)
def test_digits(text: str, count: int, expected: str | None) -> None:
    assert choices.digits(text, count) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 0),
        ("2", 1),
        ("la 2", 1),
        ("opción 3 por favor", 2),
        ("la primera", 0),
        ("el segundo", 1),
        ("la tercera", 2),
        ("el último", 2),
        ("la segunda nomás", 1),  # QA: "nomás" left the choice unread
        ("bueno, la primera pues", 0),
        ("ya, la 3 entonces", 2),
        ("la primera nada más", 0),
        ("uno", 0),
        ("4", None),
        ("quiero cita", None),
        ("1 o 2", None),
    ],
)
def test_option_number(text: str, expected: int | None) -> None:
    assert choices.option_number(text, 3) == expected


def test_option_at_time_matches_the_offered_local_time() -> None:
    starts = [datetime(2026, 11, 30, h, m, tzinfo=LA_PAZ) for h, m in ((9, 0), (9, 30), (15, 0))]
    assert choices.option_at_time("la de las 9:30", starts) == 1
    assert choices.option_at_time("a las 3 de la tarde", starts) == 2
    assert choices.option_at_time("a las 11", starts) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("otro horario", True), ("ninguno me sirve", True), ("más tarde", True), ("sí", False), ("la 1", False)],
)
def test_wants_other_options(text: str, expected: bool) -> None:
    assert choices.wants_other_options(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"), [("reenviar", True), ("no me llegó el código", True), ("otro código", True), ("ok", False)]
)
def test_asks_to_resend(text: str, expected: bool) -> None:
    assert choices.asks_to_resend(text) is expected


def test_references() -> None:
    appointment_id = UUID("3f2a91c0-1234-4abc-9def-0123456789ab")
    reference = choices.reference_of(appointment_id)
    assert reference == "3F2A91C0"
    assert choices.appointment_reference(f"cancelar la cita {reference}") == "3f2a91c0"
    assert choices.appointment_reference(f"cita {appointment_id}") == str(appointment_id)
    assert choices.matches_reference(appointment_id, "3f2a91c0")
    assert choices.matches_reference(appointment_id, str(appointment_id))
    assert not choices.matches_reference(appointment_id, "3f2a91c1")
    assert choices.appointment_reference("quiero cancelar mi cita") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("si quiero registrarme", True),
        ("sí, quiero registrarme por favor", True),
        ("registrarme", True),
        ("Regístreme, por favor", True),
        ("rejistrarme", True),
        ("quiero inscribirme", True),
        ("sí, registrarme; no tengo el carnet a mano", True),
        ("no quiero registrarme", False),
        ("no me quiero registrar", False),
        ("prefiero no registrarme", False),
        ("ya estoy registrado", None),
        ("no tengo registro", None),
        ("sí", None),
        ("quiero una cita", None),
    ],
)
def test_registration_answer_reads_registering_in_words(text: str, expected: bool | None) -> None:
    assert choices.registration_answer(text) is expected


@pytest.mark.parametrize("text", ["la de las 3", "la de las tres y media", "a las 2 por favor"])
def test_a_clock_time_is_never_an_option_number(text: str) -> None:
    assert choices.option_number(text, 3) is None


AFTERNOON = [datetime(2030, 3, 7, h, m, tzinfo=LA_PAZ) for h, m in ((14, 30), (15, 0), (15, 30))]
EVENING = [datetime(2030, 3, 7, h, m, tzinfo=LA_PAZ) for h, m in ((18, 0), (18, 30), (19, 0))]


@pytest.mark.parametrize(
    ("text", "starts", "expected"),
    [
        ("la de las 3", AFTERNOON, 1),
        ("la de las tres y media", AFTERNOON, 2),
        ("la de las 2 y media", AFTERNOON, 0),
        ("la de las 3 de la mañana", AFTERNOON, None),
        ("la de las 7", EVENING, 2),
        ("a las 7 de la mañana", EVENING, None),
        ("la de las 4", AFTERNOON, None),
    ],
)
def test_option_at_time_reads_hours_as_the_clinic_day(text: str, starts: list[datetime], expected: int | None) -> None:
    assert choices.option_at_time(text, starts) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ya olvídese, ya no quiero ninguna cita, cancele todo nomás", True),
        ("no gracias, después le escribo", True),
        ("mejor no", True),
        ("mejor no, gracias", True),
        ("cancele todo nomás", False),  # while booking only: see only_cancels
        ("ya no", True),
        ("ya no puedo el jueves, mejor el lunes", False),
        ("mejor no el jueves, el lunes", False),
        ("quiero cancelar mi cita del martes", False),
        ("no", False),
        ("otro horario", False),
    ],
)
def test_drops_the_booking(text: str, expected: bool) -> None:
    assert choices.drops_the_booking(text) is expected


@pytest.mark.parametrize(
    ("text", "only", "says"),
    [
        ("cancele todo nomás", True, True),
        ("mejor cancélelo", True, True),
        ("cancelar", True, True),
        ("quiero cancelar mi cita del martes", False, True),
        ("ya no quiero ninguna cita, cancele todo", False, True),
        ("mejor no", False, False),
    ],
)
def test_a_cancellation_that_names_no_appointment(text: str, only: bool, says: bool) -> None:
    assert (choices.only_cancels(text), choices.says_cancel(text)) == (only, says)


@pytest.mark.parametrize(
    ("text", "earlier", "later", "other_day"),
    [
        ("más temprano", True, False, False),
        ("uno antes, por favor", True, False, False),
        ("el mismo día pero más tarde", False, True, False),
        ("más tarde", False, True, False),
        ("otro día esa semana", False, False, True),
        ("ese día no puedo", False, False, True),
        ("la 2", False, False, False),
        ("por la tarde", False, False, False),
    ],
)
def test_moves_from_the_times_offered(text: str, earlier: bool, later: bool, other_day: bool) -> None:
    assert (choices.wants_earlier(text), choices.wants_later_same_day(text), choices.wants_another_day(text)) == (
        earlier,
        later,
        other_day,
    )


MONDAY = date(2030, 3, 4)
NEXT_MONDAY, THURSDAY = date(2030, 3, 11), date(2030, 3, 7)


@pytest.mark.parametrize(
    ("text", "wanted", "refused"),
    [
        ("mejor el lunes, el jueves no puedo", [NEXT_MONDAY], [THURSDAY]),
        ("el jueves no puedo, mejor el lunes", [NEXT_MONDAY], [THURSDAY]),
        ("el jueves ya no me sirve", [], [THURSDAY]),
        ("mejor el jueves", [THURSDAY], []),
        ("la 2", [], []),
    ],
)
def test_days_named_tells_the_day_wanted_from_the_day_refused(
    text: str, wanted: list[date], refused: list[date]
) -> None:
    assert choices.days_named(text, MONDAY) == (wanted, refused)


# (what the patient says at "¿Qué cita desea cambiar?", whether it names the holder's own)
OWN = {
    "la mía, no la de mi esposo": True,
    "Es para mí nomás": True,
    "la mia porfa": True,
    "la de mi esposo": False,
    "no la mía, la de mi esposo": False,
    "para mi esposo": False,
}


@pytest.mark.parametrize(("text", "expected"), OWN.items(), ids=OWN.keys())
def test_names_own(text: str, expected: bool) -> None:
    assert choices.names_own(text) is expected


# (a move request, whether its day is the appointment's rather than the new one)
HELD_DAY = {
    "quiero cambiar mi cita del viernes": True,
    "mi cita de este viernes": True,
    "cambiar la del martes a las 11": True,
    "la cita del viernes la quiero para el lunes": False,
    "quiero cambiar mi cita para el jueves": False,
    "pasarla al martes": False,
    "cambiar la de las 10": False,
    "cambiar la de la mañana": False,
}


@pytest.mark.parametrize(("text", "expected"), HELD_DAY.items(), ids=HELD_DAY.keys())
def test_names_held_day(text: str, expected: bool) -> None:
    assert choices.names_held_day(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("otro día esa semana", True),
        ("algún otro día de esta semana", True),
        ("otro día", False),
        ("esa semana", False),
    ],
)
def test_wants_same_week(text: str, expected: bool) -> None:
    assert choices.wants_same_week(text) is expected


# (message, the only ISO weekdays it says the patient can come on)
ONLY_WEEKDAYS = {
    "QA: only Saturdays, in a long sentence": ("tampoco, yo solo puedo los sabados pues, trabajo toda la semana", (6,)),
    "nomás after": ("los sábados nomás", (6,)),
    "two, joined": ("solo puedo los martes y jueves", (2, 4)),
    "two, each with its article": ("prefiero los lunes o los martes", (1, 2)),
    "one wanted, another refused": ("solo puedo los sábados, los viernes no puedo", (6,)),
    "refused after": ("los sábados no puedo", ()),
    "refused before": ("no puedo los sábados", ()),
    "where the patient works": ("trabajo los sábados", ()),
    "one Saturday: a date, not every one": ("solo puedo el sábado", ()),
}


@pytest.mark.parametrize(("text", "expected"), ONLY_WEEKDAYS.values(), ids=ONLY_WEEKDAYS.keys())
def test_only_weekdays(text: str, expected: tuple[int, ...]) -> None:
    assert choices.only_weekdays(text) == expected
