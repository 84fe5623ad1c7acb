"""Reading short answers: codes, option numbers, times of offered slots, references."""

from __future__ import annotations

from datetime import datetime
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
