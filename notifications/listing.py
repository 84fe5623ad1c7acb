"""What staff see of reminders: a day's rows with their status, and nothing of what the message said."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from appointments.repository.connection import Connection


@dataclass(frozen=True)
class ListedReminder:
    """One reminder row with its appointment; `phone` is the number it goes to (the patient's, or their holder's)."""

    id: int
    appointment_id: uuid.UUID
    planned_start: datetime
    hours_before: int
    due_at: datetime | None
    status: str
    reason: str | None
    attempts: int
    sent_at: datetime | None
    full_name: str
    phone: str | None
    doctor_id: int
    doctor_name: str
    specialty_name: str


async def reminders_between(
    conn: Connection, *, start: datetime, end: datetime, doctor_id: int | None = None, status: str | None = None
) -> list[ListedReminder]:
    """Reminders of appointments planned to start in [start, end), by start, then hours before (earliest first)."""
    rows = await conn.fetch(
        """
        SELECT r.id, r.appointment_id, r.planned_start, r.hours_before, r.due_at, r.status, r.reason, r.attempts,
               r.sent_at, p.full_name, coalesce(p.phone, h.phone) AS phone,
               d.id AS doctor_id, d.full_name AS doctor_name, s.name AS specialty_name
        FROM reminders r
        JOIN appointments a ON a.id = r.appointment_id
        JOIN patients p ON p.id = a.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        JOIN doctors d ON d.id = a.doctor_id
        JOIN specialties s ON s.id = d.specialty_id
        WHERE r.planned_start >= $1 AND r.planned_start < $2
          AND ($3::bigint IS NULL OR a.doctor_id = $3) AND ($4::text IS NULL OR r.status = $4)
        ORDER BY r.planned_start, r.hours_before DESC, r.id
        """,
        start,
        end,
        doctor_id,
        status,
    )
    return [ListedReminder(**dict(r)) for r in rows]
