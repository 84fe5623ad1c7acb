"""What a reply's stored row keeps besides its text: the JSON rows already hold, read back as it was."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID

from gateway.conversation.reply import AppointmentSummary, Option, appointment_kept, options_kept, reply_extras
from gateway.schemas import AppointmentOut
from gateway.schemas import Option as OptionOut

LA_PAZ = timezone(timedelta(hours=-4))
APPOINTMENT = AppointmentSummary(
    id=UUID("5b0f0c4e-8a52-4c1e-9d43-0d6c2f1e7a10"),
    doctor="Dra. Ana Rojas",
    specialty="Pediatría",
    start=datetime(2026, 12, 7, 9, 0, tzinfo=LA_PAZ),
    end=datetime(2026, 12, 7, 9, 20, tzinfo=LA_PAZ),
    status="scheduled",
)
OPTIONS = (Option(id="1", title="lun 7, 09:00", description="Dra. Ana Rojas"), Option(id="no", title="No"))


def test_the_options_and_the_appointment_are_kept_as_rows_written_before_hold_them() -> None:
    extras = reply_extras(OPTIONS, APPOINTMENT)

    assert extras == {
        "options": [
            {"id": "1", "title": "lun 7, 09:00", "description": "Dra. Ana Rojas"},
            {"id": "no", "title": "No", "description": None},
        ],
        "appointment": {
            "id": "5b0f0c4e-8a52-4c1e-9d43-0d6c2f1e7a10",
            "doctor": "Dra. Ana Rojas",
            "specialty": "Pediatría",
            "start": "2026-12-07T09:00:00-04:00",
            "end": "2026-12-07T09:20:00-04:00",
            "status": "scheduled",
        },
    }
    # The shape /chat sends them in, which is what rows written before the Reply hold.
    assert extras["options"] == [OptionOut.of(option).model_dump(mode="json") for option in OPTIONS]
    assert extras["appointment"] == AppointmentOut.of(APPOINTMENT).model_dump(mode="json")
    assert options_kept(extras) == OPTIONS
    assert appointment_kept(extras) == APPOINTMENT


def test_a_reply_with_neither_keeps_nothing() -> None:
    assert reply_extras((), None) == {}
    assert options_kept({}) == ()
    assert appointment_kept({}) is None
