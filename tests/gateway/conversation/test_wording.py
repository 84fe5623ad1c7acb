"""Dates and slots in the clinic's Spanish."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from gateway.conversation import wording
from gateway.conversation.state import ListedAppointment, OfferedSlot

LA_PAZ = ZoneInfo("America/La_Paz")


def test_days_and_times_are_written_in_clinic_time() -> None:
    assert wording.day(date(2026, 11, 30)) == "lunes 30 de noviembre"
    # 13:00 UTC is 09:00 in La Paz.
    instant = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert wording.day_and_time(instant, LA_PAZ) == "miércoles 2 de diciembre a las 09:00"
    assert wording.short_day_and_time(instant, LA_PAZ) == "Mié 02/12 09:00"
    assert len(wording.short_day_and_time(instant, LA_PAZ)) <= 20


def test_slot_and_appointment_lines() -> None:
    starts = datetime(2026, 11, 30, 9, 30, tzinfo=LA_PAZ)
    slot = OfferedSlot(
        doctor_id=3, doctor_name="Dra. Lucía Vargas", specialty_code="pediatria", starts_at=starts, ends_at=starts
    )
    names = {"pediatria": "Pediatría"}
    assert wording.slot_line(2, slot, LA_PAZ, names) == (
        "2) lunes 30 de noviembre a las 09:30 con la Dra. Lucía Vargas (Pediatría)"
    )
    listed = ListedAppointment(id=UUID("3f2a91c0-1234-4abc-9def-0123456789ab"), **slot.model_dump())
    assert wording.appointment_text(listed, LA_PAZ, names).endswith("(Pediatría), ref. 3F2A91C0")
