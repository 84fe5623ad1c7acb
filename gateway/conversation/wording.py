"""Dates, slots and appointments written the way a Bolivian receptionist would write them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from gateway.conversation.choices import reference_of
from gateway.conversation.state import ListedAppointment, OfferedSlot

WEEKDAYS: Final = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS: Final = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
_SHORT_WEEKDAYS: Final = ("Lun", "Mar", "Mié", "Jue", "Vie", "Sáb", "Dom")


def with_article(doctor: str) -> str:
    """ "la Dra. Lucía Vargas", "el Dr. Jorge Mamani": Spanish puts the article before a title."""
    if doctor.startswith("Dra."):
        return f"la {doctor}"
    if doctor.startswith("Dr."):
        return f"el {doctor}"
    return doctor


def every(weekday: int) -> str:
    """ "los sábados", "los lunes": every such ISO weekday (1 is Monday)."""
    name = WEEKDAYS[weekday - 1]
    return f"los {name}s" if name.endswith("o") else f"los {name}"


def days_between(first: date, last: date) -> str:
    """ "del 9 al 16 de marzo", "del 30 de marzo al 13 de abril": two days, their weekdays left to the words
    before."""
    start = f"{first.day}" if first.month == last.month else f"{first.day} de {MONTHS[first.month - 1]}"
    return f"del {start} al {last.day} de {MONTHS[last.month - 1]}"


def day(value: date) -> str:
    """ "lunes 30 de noviembre"."""
    return f"{WEEKDAYS[value.weekday()]} {value.day} de {MONTHS[value.month - 1]}"


def day_and_time(value: datetime, tz: ZoneInfo) -> str:
    """ "lunes 30 de noviembre a las 09:00", in the clinic's zone."""
    local = value.astimezone(tz)
    return f"{day(local.date())} a las {local:%H:%M}"


def short_day_and_time(value: datetime, tz: ZoneInfo) -> str:
    """ "Lun 30/11 09:00": fits a WhatsApp reply button (20 characters)."""
    local = value.astimezone(tz)
    return f"{_SHORT_WEEKDAYS[local.weekday()]} {local:%d/%m %H:%M}"


def slot_line(number: int, slot: OfferedSlot, tz: ZoneInfo, specialties: Mapping[str, str]) -> str:
    """ "1) lunes 30 de noviembre a las 09:00 con la Dra. Lucía Vargas (Pediatría)"."""
    specialty = specialties.get(slot.specialty_code, slot.specialty_code)
    return f"{number}) {day_and_time(slot.starts_at, tz)} con {with_article(slot.doctor_name)} ({specialty})"


def appointment_text(appointment: ListedAppointment, tz: ZoneInfo, specialties: Mapping[str, str]) -> str:
    """ "lunes 30 de noviembre a las 09:00 con la Dra. Lucía Vargas (Pediatría), ref. 3F2A91C0"."""
    specialty = specialties.get(appointment.specialty_code, appointment.specialty_code)
    when = day_and_time(appointment.starts_at, tz)
    return f"{when} con {with_article(appointment.doctor_name)} ({specialty}), ref. {reference_of(appointment.id)}"


def numbered(lines: list[str]) -> str:
    return "\n".join(lines)
