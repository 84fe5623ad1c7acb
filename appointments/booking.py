"""Booking, cancelling and rescheduling a patient's appointments; staff outcomes; listings.

Double booking is refused by the database's exclusion constraints, never by a check-then-insert
here, so two patients racing for one slot cannot both win.

Two conflicting writes that reach an exclusion constraint at the same moment can each wait for the
other; Postgres then aborts one of them as a deadlock. That loser is run again: by then the winner's
row is there, so it is refused as SlotTaken like any late comer, never surfaced as a deadlock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from appointments import repository
from appointments.availability import DEFAULT_MIN_NOTICE, require_aware, schedule_slot
from appointments.errors import (
    AppointmentNotFound,
    InvalidStatusChange,
    NotBookable,
    NotYourAppointment,
    OutcomeSettled,
    PatientBusy,
    SlotTaken,
    TooManyUpcoming,
)
from appointments.schemas import Appointment, AppointmentStatus, CreatedBy, Slot

_PATIENT_OVERLAP = "appointments_patient_no_overlap"
# A deadlock victim's second try waits for the winner and then sees its row; a third covers a
# winner that itself lost a deadlock to someone else. More would only hide a real problem.
_DEADLOCK_ATTEMPTS = 3
OUTCOMES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
# A mis-click (Atendido for No se presentó) is noticed the same day or the next morning; after that the outcome is
# part of the record and is left alone.
CORRECTION_WINDOW = timedelta(hours=24)


def _taken(exc: asyncpg.ExclusionViolationError) -> SlotTaken:
    if exc.constraint_name == _PATIENT_OVERLAP:
        return PatientBusy("the patient already has an appointment at that time")
    return SlotTaken("that slot was just taken")


async def _claim_time(conn: repository.Connection, write: Callable[[], Awaitable[Appointment]]) -> Appointment:
    """Run `write` (which books or moves an appointment) in a savepoint, again if it lost a deadlock.

    The savepoint means a refusal leaves a caller's surrounding transaction usable.
    """
    for attempt in range(1, _DEADLOCK_ATTEMPTS + 1):
        try:
            async with conn.transaction():
                return await write()
        except asyncpg.ExclusionViolationError as exc:
            raise _taken(exc) from exc
        except asyncpg.DeadlockDetectedError as exc:
            if attempt == _DEADLOCK_ATTEMPTS:
                raise SlotTaken("that slot was just taken") from exc
    raise AssertionError("unreachable: the last attempt returns or raises")


async def book(
    conn: repository.Connection,
    *,
    patient_id: int,
    doctor_id: int,
    starts_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    min_notice: timedelta = DEFAULT_MIN_NOTICE,
    created_by: CreatedBy = CreatedBy.PATIENT,
    channel: str = "whatsapp",
    max_upcoming: int | None = None,
) -> Appointment:
    """Book the doctor's slot starting at `starts_at` for the patient.

    Raises NotBookable (not a schedule slot, past, inside `min_notice`), SlotTaken (the doctor is
    busy then), PatientBusy (the patient is) or TooManyUpcoming (the patient already holds
    `max_upcoming` upcoming appointments; None: no limit).
    """
    slot = await schedule_slot(conn, doctor_id=doctor_id, starts_at=starts_at, now=now, tz=tz, min_notice=min_notice)
    if slot is None:
        raise NotBookable("not one of the doctor's upcoming slots")

    async def insert() -> Appointment:
        await _not_held_for_another(conn, doctor_id=doctor_id, slot=slot, patient_id=patient_id)
        if max_upcoming is not None:
            # The patient's booking lock makes concurrent bookings for one patient count one after the other.
            held = await repository.lock_patient_upcoming_count(conn, patient_id=patient_id, now=now)
            if held >= max_upcoming:
                raise TooManyUpcoming(max_upcoming)
        return await repository.insert_appointment(
            conn,
            patient_id=patient_id,
            doctor_id=doctor_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            created_by=created_by,
            channel=channel,
            now=now,
        )

    return await _claim_time(conn, insert)


async def _not_held_for_another(conn: repository.Connection, *, doctor_id: int, slot: Slot, patient_id: int) -> None:
    """Raise SlotTaken when a waitlist offer holds the slot for someone else: searches hide it, and so must a booking
    that names its time."""
    if await repository.held_for_another(
        conn, doctor_id=doctor_id, starts=slot.starts_at, ends=slot.ends_at, patient_id=patient_id
    ):
        raise SlotTaken("held for a patient on the waitlist")


async def cancel(conn: repository.Connection, *, appointment_id: UUID, patient_id: int, now: datetime) -> Appointment:
    """Cancel the patient's own upcoming appointment, or a family member's they hold; its time is free again."""
    async with conn.transaction():
        await _upcoming(conn, appointment_id=appointment_id, patient_id=patient_id, now=now)
        return await repository.update_appointment_status(
            conn, appointment_id=appointment_id, status=AppointmentStatus.CANCELLED, now=now
        )


async def cancel_for_staff(conn: repository.Connection, *, appointment_id: UUID, now: datetime) -> Appointment:
    """Staff cancel any patient's upcoming appointment; its time is free again.

    `created_by` keeps saying who booked it; who cancelled it is the caller's audit entry.
    """
    async with conn.transaction():
        await _upcoming(conn, appointment_id=appointment_id, patient_id=None, now=now)
        return await repository.update_appointment_status(
            conn, appointment_id=appointment_id, status=AppointmentStatus.CANCELLED, now=now
        )


async def reschedule(
    conn: repository.Connection,
    *,
    appointment_id: UUID,
    patient_id: int,
    new_starts_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    min_notice: timedelta = DEFAULT_MIN_NOTICE,
) -> Appointment:
    """Move the patient's own appointment (or a family member's they hold) to another slot of the same doctor,
    in one transaction.

    The row is updated in place, so when the new slot is refused the old appointment is untouched.
    """

    async def move() -> Appointment:
        current = await _upcoming(conn, appointment_id=appointment_id, patient_id=patient_id, now=now)
        slot = await schedule_slot(
            conn, doctor_id=current.doctor_id, starts_at=new_starts_at, now=now, tz=tz, min_notice=min_notice
        )
        if slot is None:
            raise NotBookable("not one of the doctor's upcoming slots")
        await _not_held_for_another(conn, doctor_id=current.doctor_id, slot=slot, patient_id=current.patient_id)
        return await repository.update_appointment_time(
            conn, appointment_id=appointment_id, starts_at=slot.starts_at, ends_at=slot.ends_at, now=now
        )

    return await _claim_time(conn, move)


async def set_outcome(
    conn: repository.Connection, *, appointment_id: UUID, status: AppointmentStatus, now: datetime
) -> Appointment:
    """Staff record how an appointment went (completed or no_show), once it has started.

    A recorded outcome may be switched to the other one (a correction) until CORRECTION_WINDOW after the start, never
    back to booked; recording the outcome it already has changes nothing.
    """
    if status not in OUTCOMES:
        raise ValueError("an outcome is completed or no_show")
    async with conn.transaction():
        current = await repository.get_appointment(conn, appointment_id=appointment_id, for_update=True)
        if current is None:
            raise AppointmentNotFound("no such appointment")
        if current.status is AppointmentStatus.CANCELLED:
            raise InvalidStatusChange("the appointment was cancelled")
        if current.starts_at > now:
            raise InvalidStatusChange("the appointment has not started yet")
        if current.status is status:
            return current
        if current.status in OUTCOMES and not can_correct(current, now=now):
            raise OutcomeSettled(f"the outcome can be corrected up to {CORRECTION_WINDOW} after the start")
        return await repository.update_appointment_status(conn, appointment_id=appointment_id, status=status, now=now)


def can_correct(appointment: Appointment, *, now: datetime) -> bool:
    """Whether staff may still switch the appointment's recorded outcome to the other one."""
    return appointment.status in OUTCOMES and now - appointment.starts_at <= CORRECTION_WINDOW


async def upcoming_for_patient(
    conn: repository.Connection, *, patient_id: int, now: datetime, limit: int = 10
) -> list[Appointment]:
    """The patient's booked appointments from `now` on, soonest first."""
    require_aware(now, "now")
    return await repository.upcoming_for_patient(conn, patient_id=patient_id, now=now, limit=limit)


async def upcoming_for_family(
    conn: repository.Connection, *, holder_id: int, now: datetime, limit: int = 10
) -> list[Appointment]:
    """Booked appointments from `now` on of the holder and the family members their phone speaks for."""
    require_aware(now, "now")
    return await repository.upcoming_for_family(conn, holder_id=holder_id, now=now, limit=limit)


async def day_for_doctor(
    conn: repository.Connection,
    *,
    doctor_id: int,
    day: date,
    tz: ZoneInfo,
    include_cancelled: bool = False,
) -> list[Appointment]:
    """The doctor's appointments on the clinic's local date `day`, in order."""
    return await repository.doctor_appointments(
        conn,
        doctor_id=doctor_id,
        starts=datetime.combine(day, time(0), tz),
        ends=datetime.combine(day + timedelta(days=1), time(0), tz),
        include_cancelled=include_cancelled,
    )


async def day_for_clinic(
    conn: repository.Connection,
    *,
    day: date,
    doctor_id: int | None = None,
    tz: ZoneInfo,
    include_cancelled: bool = False,
) -> list[Appointment]:
    """Every doctor's (or one doctor's) appointments on the clinic's local date `day`, by start time."""
    return await repository.appointments_between(
        conn,
        starts=datetime.combine(day, time(0), tz),
        ends=datetime.combine(day + timedelta(days=1), time(0), tz),
        doctor_id=doctor_id,
        include_cancelled=include_cancelled,
    )


async def _upcoming(
    conn: repository.Connection, *, appointment_id: UUID, patient_id: int | None, now: datetime
) -> Appointment:
    """Lock a booked, not yet started appointment, or raise why it is not one.

    With `patient_id` it must be that patient's own or a family member's they hold; None (staff) admits anyone's.
    """
    require_aware(now, "now")
    current = await repository.get_appointment(conn, appointment_id=appointment_id, for_update=True)
    if current is None:
        raise AppointmentNotFound("no such appointment")
    if patient_id is not None and current.patient_id != patient_id:
        member = await repository.family_member(conn, holder_id=patient_id, patient_id=current.patient_id)
        if member is None:
            raise NotYourAppointment("the appointment belongs to another patient")
    if current.status is not AppointmentStatus.BOOKED:
        raise InvalidStatusChange(f"the appointment is {current.status}")
    if current.starts_at <= now:
        raise InvalidStatusChange("the appointment has already started")
    return current
