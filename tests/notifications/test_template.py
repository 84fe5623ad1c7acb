"""The approved template texts: the README shows the very bodies the messages fill, and they read naturally
whether the appointment is the reader's own or a family member's."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from notifications.template import (
    CANCELLATION_TEXT,
    OFFER_TEXT,
    REMINDER_TEXT,
    STAFF_REPLY_TEXT,
    OfferFacts,
    ReminderFacts,
    flat,
    offer_message,
    reminder_message,
    render,
)

LA_PAZ = ZoneInfo("America/La_Paz")
AT = datetime(2030, 3, 6, 10, 30, tzinfo=LA_PAZ)
README = Path(__file__).resolve().parents[2] / "README.md"


def body(message: dict[str, object]) -> list[str]:
    template = message["template"]
    assert isinstance(template, dict)
    return [p["text"] for p in template["components"][0]["parameters"]]


def test_the_readme_shows_the_approved_bodies() -> None:
    readme = README.read_text(encoding="utf-8")
    assert f"```text\n{REMINDER_TEXT}\n```" in readme
    assert f"```text\n{OFFER_TEXT}\n```" in readme
    assert f"```text\n{STAFF_REPLY_TEXT}\n```" in readme
    assert f"```text\n{CANCELLATION_TEXT}\n```" in readme


def test_a_reminder_greets_its_reader_and_says_whose_appointment_it_is() -> None:
    own = ReminderFacts(uuid.uuid4(), "+59170000001", "María López", "Dra. Lucía Vargas", "Pediatría", AT)
    sons = ReminderFacts(
        uuid.uuid4(), "+59170000003", "Mateo López", "Dra. Lucía Vargas", "Pediatría", AT, holder_name="Rosa López"
    )

    def said(facts: ReminderFacts) -> str:
        return render(
            REMINDER_TEXT, body(reminder_message(facts, template="recordatorio_cita", language="es", tz=LA_PAZ))
        )

    assert said(own).startswith(
        "Hola, María. Le recordamos su cita con la Dra. Lucía Vargas (Pediatría) el miércoles 6 de marzo a las 10:30."
    )
    assert said(sons).startswith("Hola, Rosa. Le recordamos la cita de Mateo con la Dra. Lucía Vargas")


def test_an_offer_greets_its_reader_and_says_whom_it_is_for() -> None:
    def said(holder_name: str | None) -> str:
        facts = OfferFacts(
            7, "+59170000003", "Mateo López", "Dr. Jorge Mamani", "Medicina general", AT, 30, holder_name
        )
        return render(OFFER_TEXT, body(offer_message(facts, template="oferta_lista_espera", language="es", tz=LA_PAZ)))

    assert said("Rosa López") == (
        "Hola, Rosa. Por la lista de espera: se liberó una cita para Mateo con el Dr. Jorge Mamani (Medicina general) "
        "el miércoles 6 de marzo a las 10:30. Se la guardamos 30 minutos: ¿la quiere?"
    )
    assert said(None).startswith("Hola, Mateo. Por la lista de espera: se liberó una cita para usted con el Dr.")


def test_a_template_parameter_has_no_newlines_tabs_or_runs_of_spaces() -> None:
    assert flat("  Hola Ana:\n\n\tsu cita      quedó\r\nlista.  ") == "Hola Ana: su cita quedó lista."
