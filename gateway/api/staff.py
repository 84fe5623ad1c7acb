"""/staff — the clinic's reception: a day's appointments, free slots, cancellations, outcomes, reminders.

Every route needs a key with the `staff` (or `admin`) scope and writes an audit entry in the
transaction of what it did; a refusal is audited too, after its transaction is rolled back.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from appointments import booking, repository
from appointments import waitlist as waitlist_entries
from appointments.availability import free_slots
from appointments.errors import AppointmentError
from appointments.schemas import Appointment, AppointmentStatus
from gateway import audit
from gateway.api.errors import error_body
from gateway.api.staff_schemas import (
    Availability,
    DayAppointments,
    DayReminders,
    DoctorList,
    FailedWhatsAppMessage,
    FailedWhatsAppMessages,
    OutcomeRequest,
    ReminderStatus,
    StaffAppointment,
    StaffDoctor,
    StaffReminder,
    StaffSlot,
    StaffWaitlistEntry,
    UnlockRequest,
    VerificationUnlocked,
    Waitlist,
)
from gateway.db import Connection
from gateway.deps import AppServices, ClinicZone, Conn, StaffCaller
from gateway.errors import GatewayError, InvalidRequest, NotFound
from gateway.log import mask_phone
from gateway.security.api_keys import ApiKey
from gateway.whatsapp import repository as whatsapp_repository
from notifications import listing
from notifications.template import first_name

# Far enough for any booking, near enough that date arithmetic never overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_AVAILABILITY_DAYS = 14
_BIGINT_MAX = 2**63 - 1


def _clinic_day(value: object) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD, e.g. 2026-06-02")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


Day = Annotated[
    date, BeforeValidator(_clinic_day), Query(alias="date", description="A local date in the clinic's zone.")
]
DoctorId = Annotated[int | None, Query(ge=1, le=_BIGINT_MAX, description="Only this doctor (ids: /staff/doctors).")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Missing, invalid or revoked API key",
        "content": {"application/json": {"example": error_body("unauthorized", "invalid or revoked API key")}},
    },
    403: {"description": "The key lacks the `staff` scope"},
    404: {"description": "No such appointment or doctor"},
    409: {"description": "The appointment's status does not allow this (e.g. already cancelled)"},
    422: {"description": "A bad parameter or body; `message` names it"},
}

router = APIRouter(prefix="/staff", tags=["staff"], responses=_ERRORS)


@asynccontextmanager
async def _audited(
    conn: Connection, *, caller: ApiKey, action: str, target: str | None = None
) -> AsyncIterator[dict[str, audit.DetailValue]]:
    """A transaction that ends with a `success` entry; a refusal rolls it back and is audited as `failure`.

    The body adds what is worth keeping to the yielded detail (never patient text).
    """
    actor = audit.staff_actor(caller)
    detail: dict[str, audit.DetailValue] = {}
    try:
        async with conn.transaction():
            yield detail
            await audit.record(conn, actor=actor, action=action, outcome="success", target=target, detail=detail)
    except (AppointmentError, GatewayError) as exc:
        reason = {"reason": exc.code}
        await audit.record(conn, actor=actor, action=action, outcome="failure", target=target, detail=detail | reason)
        raise


async def _with_patients(conn: Connection, appointments: list[Appointment], zone: ZoneInfo) -> list[StaffAppointment]:
    contacts = await repository.patient_contacts(conn, patient_ids=[a.patient_id for a in appointments])
    return [StaffAppointment.of(a, contacts[a.patient_id], zone) for a in appointments]


@router.get("/doctors", response_model=DoctorList)
async def doctors(caller: StaffCaller, conn: Conn) -> DoctorList:
    """The active doctors, by name, with the ids the other routes take."""
    async with _audited(conn, caller=caller, action="staff.doctors.viewed") as detail:
        found = await repository.active_doctors(conn)
        detail["count"] = len(found)
    return DoctorList(doctors=[StaffDoctor.of(d) for d in found])


@router.get("/appointments", response_model=DayAppointments)
async def day_appointments(
    caller: StaffCaller,
    conn: Conn,
    zone: ClinicZone,
    day: Day,
    doctor_id: DoctorId = None,
    include_cancelled: bool = False,
) -> DayAppointments:
    """The appointments of one local day, every doctor's or one doctor's, by start time."""
    async with _audited(conn, caller=caller, action="staff.appointments.viewed") as detail:
        detail.update(date=day.isoformat(), doctor_id=doctor_id)
        if doctor_id is not None and not await repository.doctor_exists(conn, doctor_id=doctor_id):
            raise NotFound(f"doctor_id: no doctor {doctor_id}")
        found = await booking.day_for_clinic(
            conn, day=day, doctor_id=doctor_id, tz=zone, include_cancelled=include_cancelled
        )
        detail["count"] = len(found)
        appointments = await _with_patients(conn, found, zone)
    return DayAppointments(date=day, timezone=zone.key, appointments=appointments)


@router.get("/availability", response_model=Availability)
async def availability(
    caller: StaffCaller,
    conn: Conn,
    zone: ClinicZone,
    services: AppServices,
    day: Day,
    doctor_id: DoctorId = None,
    specialty: Annotated[
        str | None, Query(pattern=r"^[a-z_]{1,40}$", description="A specialty code (see /staff/doctors).")
    ] = None,
    days: Annotated[int, Query(ge=1, le=MAX_AVAILABILITY_DAYS, description="How many days from `date`.")] = 1,
) -> Availability:
    """Free slots of one doctor or of every doctor of a specialty, `days` days from `date`."""
    if (doctor_id is None) == (specialty is None):
        raise InvalidRequest("give exactly one of doctor_id or specialty")
    last_day = day + timedelta(days=days - 1)
    async with _audited(conn, caller=caller, action="staff.availability.viewed") as detail:
        detail.update(date=day.isoformat(), days=days, doctor_id=doctor_id, specialty=specialty)
        if not await repository.active_doctors(conn, doctor_id=doctor_id, specialty_code=specialty):
            raise NotFound(
                f"doctor_id: no active doctor {doctor_id}"
                if specialty is None
                else f"specialty: no active doctor in '{specialty}'"
            )
        slots = await free_slots(
            conn,
            first_day=day,
            last_day=last_day,
            now=datetime.now(UTC),
            doctor_id=doctor_id,
            specialty_code=specialty,
            tz=zone,
            min_notice=timedelta(minutes=services.settings.booking_min_notice_minutes),
            limit=None,
        )
        detail["count"] = len(slots)
    return Availability(
        first_day=day, last_day=last_day, timezone=zone.key, slots=[StaffSlot.of(s, zone) for s in slots]
    )


@router.post("/appointments/{appointment_id}/cancel", response_model=StaffAppointment)
async def cancel(appointment_id: UUID, caller: StaffCaller, conn: Conn, zone: ClinicZone) -> StaffAppointment:
    """Cancel any patient's upcoming appointment; its time is free again."""
    target = audit.appointment_target(appointment_id)
    async with _audited(conn, caller=caller, action="appointment.cancelled", target=target) as detail:
        cancelled = await booking.cancel_for_staff(conn, appointment_id=appointment_id, now=datetime.now(UTC))
        detail["patient_id"] = cancelled.patient_id
        [answer] = await _with_patients(conn, [cancelled], zone)
    return answer


@router.post("/appointments/{appointment_id}/outcome", response_model=StaffAppointment)
async def set_outcome(
    appointment_id: UUID, body: OutcomeRequest, caller: StaffCaller, conn: Conn, zone: ClinicZone
) -> StaffAppointment:
    """Record how an appointment that has started went: `completed` or `no_show`."""
    target = audit.appointment_target(appointment_id)
    async with _audited(conn, caller=caller, action="appointment.outcome_set", target=target) as detail:
        detail["status"] = body.status
        updated = await booking.set_outcome(
            conn, appointment_id=appointment_id, status=AppointmentStatus(body.status), now=datetime.now(UTC)
        )
        detail["patient_id"] = updated.patient_id
        [answer] = await _with_patients(conn, [updated], zone)
    return answer


@router.post("/verification/unlock", response_model=VerificationUnlocked)
async def unlock_verification(
    body: UnlockRequest, caller: StaffCaller, conn: Conn, services: AppServices
) -> VerificationUnlocked:
    """Lift a phone's verification lockout (wrong codes), once staff know who is calling.

    Its wrong codes and sent codes are forgotten, so the patient can ask for a new code at once.
    The audit entry names the patient when the phone is registered, and keeps the phone masked.
    """
    patient = await repository.patient_by_phone(conn, phone=body.phone)
    target = None if patient is None else audit.patient_actor(patient.id)
    async with _audited(conn, caller=caller, action="verification.unlocked", target=target) as detail:
        detail["phone"] = mask_phone(body.phone)
        was_locked = await services.otp.unlock(body.phone)
        detail["was_locked"] = was_locked
    return VerificationUnlocked(was_locked=was_locked, patient_id=None if patient is None else patient.id)


@router.get("/whatsapp/failed", response_model=FailedWhatsAppMessages)
async def failed_whatsapp_messages(
    caller: StaffCaller,
    conn: Conn,
    zone: ClinicZone,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")] = 100,
) -> FailedWhatsAppMessages:
    """WhatsApp messages given up on after the last retry (alert WhatsAppRepliesFailed): someone should answer them.

    Phones are masked; find the conversation by the time and the masked number.
    """
    async with _audited(conn, caller=caller, action="staff.whatsapp_failed.viewed") as detail:
        found = await whatsapp_repository.failed_messages(conn, limit=limit)
        detail["count"] = len(found)
    return FailedWhatsAppMessages(
        messages=[
            FailedWhatsAppMessage(
                wamid=m.wamid,
                phone=mask_phone(f"+{m.wa_id}"),
                message_type=m.message_type,
                received_at=m.received_at.astimezone(zone),
                failed_at=m.failed_at.astimezone(zone) if m.failed_at is not None else None,
                attempts=m.attempts,
                error=m.error,
                parts=m.parts,
                parts_sent=m.parts_sent,
            )
            for m in found
        ]
    )


@router.get("/reminders", response_model=DayReminders)
async def day_reminders(
    caller: StaffCaller,
    conn: Conn,
    zone: ClinicZone,
    day: Day,
    doctor_id: DoctorId = None,
    status: Annotated[ReminderStatus | None, Query(description="Only reminders in this status.")] = None,
) -> DayReminders:
    """The reminders of the appointments of one local day and what became of each (sent, failed and why, …).

    Phones are masked and patients named by first name only; the message's text is never shown.
    """
    async with _audited(conn, caller=caller, action="staff.reminders.viewed") as detail:
        detail.update(date=day.isoformat(), doctor_id=doctor_id, status=status)
        if doctor_id is not None and not await repository.doctor_exists(conn, doctor_id=doctor_id):
            raise NotFound(f"doctor_id: no doctor {doctor_id}")
        found = await listing.reminders_between(
            conn,
            start=datetime.combine(day, time(0), zone),
            end=datetime.combine(day + timedelta(days=1), time(0), zone),
            doctor_id=doctor_id,
            status=status,
        )
        detail["count"] = len(found)
    return DayReminders(
        date=day,
        timezone=zone.key,
        reminders=[
            StaffReminder(
                id=r.id,
                appointment_id=r.appointment_id,
                appointment_starts_at=r.planned_start.astimezone(zone),
                doctor_id=r.doctor_id,
                doctor_name=r.doctor_name,
                specialty_name=r.specialty_name,
                patient_first_name=first_name(r.full_name),
                phone=None if r.phone is None else mask_phone(r.phone),
                hours_before=r.hours_before,
                due_at=None if r.due_at is None else r.due_at.astimezone(zone),
                status=r.status,  # the table's CHECK allows only ReminderStatus values; pydantic checks it again
                reason=r.reason,
                attempts=r.attempts,
                sent_at=None if r.sent_at is None else r.sent_at.astimezone(zone),
            )
            for r in found
        ],
    )


@router.get("/waitlist", response_model=Waitlist)
async def waitlist(caller: StaffCaller, conn: Conn, zone: ClinicZone, doctor_id: DoctorId = None) -> Waitlist:
    """Who waits for a slot, first in line first: with `doctor_id`, those waiting for that doctor or for any doctor
    of their specialty, and the freed slot each is being offered now."""
    async with _audited(conn, caller=caller, action="staff.waitlist.viewed") as detail:
        detail.update(doctor_id=doctor_id)
        if doctor_id is not None and not await repository.doctor_exists(conn, doctor_id=doctor_id):
            raise NotFound(f"doctor_id: no doctor {doctor_id}")
        found = await waitlist_entries.waiting_for_staff(conn, doctor_id=doctor_id, today=datetime.now(zone).date())
        detail["count"] = len(found)
    return Waitlist(
        timezone=zone.key,
        entries=[
            StaffWaitlistEntry(
                id=e.id,
                position=e.position,
                patient_first_name=first_name(e.full_name),
                phone=None if e.phone is None else mask_phone(e.phone),
                doctor_id=e.doctor_id,
                doctor_name=e.doctor_name,
                specialty_name=e.specialty_name,
                first_day=e.first_day,
                last_day=e.last_day,
                weekdays=e.weekdays,
                waiting_since=e.created_at.astimezone(zone),
                offered_starts_at=None if e.offered_starts_at is None else e.offered_starts_at.astimezone(zone),
                offered_until=None if e.offered_until is None else e.offered_until.astimezone(zone),
            )
            for e in found
        ],
    )
