"""The console's "cancelar con motivo": staff call off an upcoming appointment, and the patient is told why.

Who may: recepción and admin, any doctor's appointment; a medico, their own doctor's only (a doctor with an
emergency calls off their afternoon), another doctor's being answered as if it did not exist. The cancellation,
its audit entry (the person as actor, the reason in the detail) and the patient's notice commit together; the
notification service then sends the notice (gateway/console/outbox.py) and offers the freed slot to the waitlist
(notifications/waitlist.py finds every cancelled appointment's time, whoever cancelled it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from appointments import booking, repository
from appointments.errors import AppointmentError
from appointments.repository import Connection
from appointments.schemas import Appointment
from gateway import audit
from gateway.console.agenda import NotYourDoctor, visible_doctor
from gateway.console.outbox import MAX_REASON, QueuedMessage, clean_text, queue_cancellation_notice
from gateway.console.repository import StaffUser


@dataclass(frozen=True)
class Cancelled:
    appointment: Appointment
    notice: QueuedMessage


async def cancel(conn: Connection, *, user: StaffUser, appointment_id: UUID, reason: str, now: datetime) -> Cancelled:
    """Cancel an upcoming appointment for `reason` and queue the patient's notice, audited, in one transaction
    (hand `notice` to `outbox.send_now` after it). Raises StaffMessageRefused for an empty or too long reason
    (nothing recorded), AppointmentError when the appointment cannot be cancelled (audited as a failure)."""
    reason = clean_text(reason, limit=MAX_REASON)
    actor = audit.staff_user_actor(user.id)
    target = audit.appointment_target(appointment_id)
    detail: dict[str, audit.DetailValue] = {"via": "console"}
    try:
        async with conn.transaction():
            current = await repository.get_appointment(conn, appointment_id=appointment_id, for_update=True)
            if current is not None and user.role == "medico" and current.doctor_id != visible_doctor(user):
                raise NotYourDoctor("no such appointment among this doctor's")
            cancelled = await booking.cancel_for_staff(conn, appointment_id=appointment_id, now=now)
            notice = await queue_cancellation_notice(
                conn, appointment_id=appointment_id, reason=reason, staff_user_id=user.id, now=now
            )
            detail |= {"patient_id": cancelled.patient_id, "cancel_reason": reason, "notice_id": notice.id}
            await audit.record(
                conn, actor=actor, action="appointment.cancelled", outcome="success", target=target, detail=detail
            )
    except AppointmentError as exc:
        detail["reason"] = exc.code
        outcome = "denied" if isinstance(exc, NotYourDoctor) else "failure"
        await audit.record(
            conn, actor=actor, action="appointment.cancelled", outcome=outcome, target=target, detail=detail
        )
        raise
    return Cancelled(appointment=cancelled, notice=notice)
