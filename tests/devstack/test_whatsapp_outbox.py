from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from devstack.whatsapp_outbox import describe
from notifications.template import REMINDER_TEXT, ReminderFacts, reminder_message

APPOINTMENT = uuid.UUID("2dcbe497-6567-4c3f-bd14-dafca1013353")


def _reminder() -> dict[str, Any]:
    facts = ReminderFacts(
        appointment_id=APPOINTMENT,
        phone="+59170000001",
        full_name="María Fernanda Quispe",
        doctor_name="Dr. Jorge Mamani",
        specialty_name="Medicina general",
        starts_at=datetime(2026, 12, 4, 22, 40, tzinfo=UTC),
    )
    return reminder_message(facts, template="recordatorio_cita", language="es", tz=ZoneInfo("America/La_Paz"))


def test_a_template_with_a_known_body_prints_as_the_patient_reads_it() -> None:
    line = describe(_reminder(), {"recordatorio_cita": REMINDER_TEXT})

    assert "«Hola, María. Le recordamos su cita con el Dr. Jorge Mamani (Medicina general) el viernes 4" in line
    assert f"confirm:{APPOINTMENT}" in line and "{{" not in line


def test_an_unknown_template_prints_its_parameters() -> None:
    line = describe(_reminder(), {})

    assert "María | su cita | el Dr. Jorge Mamani" in line
