"""The console's "Hoy": each doctor's appointments on one clinic day, and the outcome staff record for one.

A `medico` sees and marks only their own doctor's appointments; the others see every active doctor. Marking (and
correcting a mis-click, booking.CORRECTION_WINDOW) is audited with the person as actor and the status before, refusals
too. A day the clinic or a doctor departs from the weekly hours (schedule_overrides) says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from appointments import booking, repository
from appointments.errors import AppointmentError, AppointmentNotFound
from appointments.repository import Connection
from appointments.schemas import Appointment, AppointmentStatus, Doctor, ScheduleOverride
from gateway import audit
from gateway.console.repository import StaffUser
from gateway.conversation.choices import reference_of

STATUS_NAMES: Final[dict[AppointmentStatus, str]] = {
    AppointmentStatus.BOOKED: "Reservada",
    AppointmentStatus.COMPLETED: "Atendido",
    AppointmentStatus.NO_SHOW: "No se presentó",
    AppointmentStatus.CANCELLED: "Cancelada",
}
OUTCOMES: Final = booking.OUTCOMES
_OTHER_OUTCOME: Final = {
    AppointmentStatus.COMPLETED: AppointmentStatus.NO_SHOW,
    AppointmentStatus.NO_SHOW: AppointmentStatus.COMPLETED,
}
_TITLE: Final = re.compile(r"(?:dra?\.?|doctora?)\s+", re.IGNORECASE)


class NotYourDoctor(AppointmentNotFound):
    """A medico asked about another doctor's appointment: answered as if it did not exist."""


def masked_phone(phone: str) -> str:
    """`+59170123456` → `+591 7•••• 456`: enough for staff to tell two patients apart on screen, no more."""
    if len(phone) < 9:
        return "•" * len(phone)
    return f"{phone[:4]} {phone[4]}{'•' * (len(phone) - 8)} {phone[-3:]}"


@dataclass(frozen=True)
class Row:
    """One appointment as the page shows it."""

    id: UUID
    time: str
    patient_id: int
    patient_name: str
    phone: str
    status: AppointmentStatus
    status_name: str
    reference: str
    can_mark: bool
    # Booked and not started: staff may still cancel it (with a reason the patient is told).
    can_cancel: bool
    # Marked, and still inside the correction window: the other outcome, offered as a correction.
    correct_to: AppointmentStatus | None = None

    @property
    def correct_to_name(self) -> str:
        return "" if self.correct_to is None else STATUS_NAMES[self.correct_to]


@dataclass(frozen=True)
class DoctorDay:
    doctor: Doctor
    rows: list[Row]
    # The doctor's own departure from their weekly hours that day (leave, a congress, other hours), if any.
    override: ScheduleOverride | None = None


@dataclass(frozen=True)
class Day:
    """The page's day: each doctor's, and the clinic-wide departure from the weekly hours (a holiday), if any."""

    doctors: list[DoctorDay]
    clinic_override: ScheduleOverride | None = None


def by_name(doctor: Doctor) -> str:
    """The sorting key of a doctor: the name without its title, so Dra. Ana Vargas comes before Dr. Jorge Mamani."""
    return _TITLE.sub("", doctor.full_name, count=1).casefold()


def _row(appointment: Appointment, name: str, phone: str, *, zone: ZoneInfo, now: datetime) -> Row:
    starts = appointment.starts_at.astimezone(zone)
    return Row(
        id=appointment.id,
        time=f"{starts:%H:%M}",
        patient_id=appointment.patient_id,
        patient_name=name,
        phone=masked_phone(phone),
        status=appointment.status,
        status_name=STATUS_NAMES[appointment.status],
        reference=reference_of(appointment.id),
        can_mark=appointment.status is AppointmentStatus.BOOKED and appointment.starts_at <= now,
        can_cancel=appointment.status is AppointmentStatus.BOOKED and appointment.starts_at > now,
        correct_to=_OTHER_OUTCOME[appointment.status] if booking.can_correct(appointment, now=now) else None,
    )


def visible_doctor(user: StaffUser) -> int | None:
    """The one doctor a medico may see; None: every doctor."""
    return user.doctor_id if user.role == "medico" else None


async def day(conn: Connection, *, user: StaffUser, day: date, zone: ZoneInfo, now: datetime) -> Day:
    """Each doctor `user` may see, by name, with their appointments on the clinic's date `day` (cancelled too)."""
    only = visible_doctor(user)
    if user.role == "medico" and only is None:
        return Day(doctors=[])
    doctors = await repository.active_doctors(conn, doctor_id=only)
    appointments = await booking.day_for_clinic(conn, day=day, doctor_id=only, tz=zone, include_cancelled=True)
    contacts = await repository.patient_contacts(conn, patient_ids=[a.patient_id for a in appointments])
    known = {d.id: d for d in doctors}
    rows: dict[int, list[Row]] = {d.id: [] for d in doctors}
    for a in appointments:
        if a.doctor_id not in known:  # a doctor no longer active keeps that day's appointments on the page
            known[a.doctor_id] = Doctor(a.doctor_id, a.doctor_name, a.specialty_code, a.specialty_code)
            rows[a.doctor_id] = []
        contact = contacts[a.patient_id]
        rows[a.doctor_id].append(_row(a, contact.full_name, contact.phone, zone=zone, now=now))
    overrides = await repository.schedule_overrides(conn, doctor_ids=list(known), first_day=day, last_day=day)
    return Day(
        doctors=[
            DoctorDay(doctor=d, rows=rows[d.id], override=_telling([o for o in overrides if o.doctor_id == d.id]))
            for d in sorted(known.values(), key=by_name)
        ],
        clinic_override=_telling([o for o in overrides if o.doctor_id is None]),
    )


def _telling(overrides: list[ScheduleOverride]) -> ScheduleOverride | None:
    """The one override to tell staff about: a closed day before replacement hours, else the earliest hours."""
    return next((o for o in overrides if o.closed), overrides[0] if overrides else None)


async def record_outcome(
    conn: Connection, *, user: StaffUser, appointment_id: UUID, status: AppointmentStatus, now: datetime
) -> Appointment:
    """Mark an appointment that has started `completed` or `no_show`, or correct that mark (audited with the status
    before; a refusal raises AppointmentError)."""
    actor = audit.staff_user_actor(user.id)
    target = audit.appointment_target(appointment_id)
    detail: dict[str, audit.DetailValue] = {"status": str(status)}
    try:
        async with conn.transaction():
            current = await repository.get_appointment(conn, appointment_id=appointment_id, for_update=True)
            only = visible_doctor(user)
            if current is not None and user.role == "medico" and current.doctor_id != only:
                raise NotYourDoctor("no such appointment among this doctor's")
            if current is not None:
                detail["previous_status"] = str(current.status)
            updated = await booking.set_outcome(conn, appointment_id=appointment_id, status=status, now=now)
            detail["patient_id"] = updated.patient_id
            await audit.record(
                conn, actor=actor, action="appointment.outcome_set", outcome="success", target=target, detail=detail
            )
    except AppointmentError as exc:
        detail["reason"] = exc.code
        await audit.record(
            conn, actor=actor, action="appointment.outcome_set", outcome="failure", target=target, detail=detail
        )
        raise
    return updated
