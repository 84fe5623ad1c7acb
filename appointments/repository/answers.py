"""SQL for what patients answer to the clinic's own messages: consent to reminders, and "Confirmar" on one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from appointments.repository.connection import Connection


async def reminders_consent(conn: Connection, *, patient_id: int) -> bool | None:
    """The patient's answer to reminders: True opted in, False opted out, None never asked."""
    consent: bool | None = await conn.fetchval("SELECT reminders_consent FROM patients WHERE id = $1", patient_id)
    return consent


async def set_reminders_consent(conn: Connection, *, patient_id: int, consent: bool, now: datetime) -> bool:
    """Store the patient's answer and its time; False when it was already that answer (nothing written)."""
    changed: bool = await conn.fetchval(
        """
        WITH p AS (
            UPDATE patients SET reminders_consent = $2, reminders_consent_at = $3
            WHERE id = $1 AND reminders_consent IS DISTINCT FROM $2
            RETURNING 1
        )
        SELECT EXISTS (SELECT FROM p)
        """,
        patient_id,
        consent,
        now,
    )
    return changed


async def confirmed_at(conn: Connection, *, appointment_id: UUID) -> datetime | None:
    """When the patient confirmed they will come to the appointment; None if they have not."""
    when: datetime | None = await conn.fetchval("SELECT confirmed_at FROM appointments WHERE id = $1", appointment_id)
    return when


async def confirm_attendance(conn: Connection, *, appointment_id: UUID, now: datetime) -> bool:
    """Record that the patient will come to a booked appointment; False when it was already confirmed or is no
    longer booked (nothing written)."""
    confirmed: bool = await conn.fetchval(
        """
        WITH a AS (
            UPDATE appointments SET confirmed_at = $2, updated_at = $2
            WHERE id = $1 AND status = 'booked' AND confirmed_at IS NULL
            RETURNING 1
        )
        SELECT EXISTS (SELECT FROM a)
        """,
        appointment_id,
        now,
    )
    return confirmed
