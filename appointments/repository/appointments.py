"""SQL for appointments: booking, moving, status changes and listings. Queries return rows joined
with the doctor and specialty."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from appointments.repository.connection import Connection
from appointments.schemas import Appointment, AppointmentStatus, CreatedBy


async def insert_appointment(
    conn: Connection,
    *,
    patient_id: int,
    doctor_id: int,
    starts_at: datetime,
    ends_at: datetime,
    created_by: CreatedBy,
    channel: str,
    now: datetime,
) -> Appointment:
    """Book; raises asyncpg.ExclusionViolationError when the doctor or patient is already busy."""
    row = await conn.fetchrow(
        """
        WITH a AS (
            INSERT INTO appointments
                (patient_id, doctor_id, starts_at, ends_at, created_by, channel, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            RETURNING *
        )
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        """,
        patient_id,
        doctor_id,
        starts_at,
        ends_at,
        str(created_by),
        channel,
        now,
    )
    assert row is not None
    return Appointment.from_row(row)


_GET_APPOINTMENT_SQL = """
    SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
    FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
    WHERE a.id = $1
"""
_LOCK_APPOINTMENT_SQL = """
    SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
    FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
    WHERE a.id = $1
    FOR UPDATE OF a
"""


async def get_appointment(conn: Connection, *, appointment_id: UUID, for_update: bool = False) -> Appointment | None:
    """One appointment; `for_update` locks its row until the transaction ends."""
    row = await conn.fetchrow(_LOCK_APPOINTMENT_SQL if for_update else _GET_APPOINTMENT_SQL, appointment_id)
    return None if row is None else Appointment.from_row(row)


async def update_appointment_time(
    conn: Connection, *, appointment_id: UUID, starts_at: datetime, ends_at: datetime, now: datetime
) -> Appointment:
    """Move an appointment in place, keeping the time it leaves in `moved_from_slots` (the waitlist offers it);
    raises asyncpg.ExclusionViolationError if the new time is taken. A confirmation of attendance was for the old
    time: a move clears it, and the patient confirms the new time from its own reminder."""
    row = await conn.fetchrow(
        """
        WITH old AS (
            SELECT id, doctor_id, starts_at, ends_at FROM appointments WHERE id = $1
        ), a AS (
            UPDATE appointments
            SET starts_at = $2, ends_at = $3, updated_at = $4,
                confirmed_at = CASE WHEN starts_at = $2 THEN confirmed_at END
            WHERE id = $1
            RETURNING *
        ), kept AS (
            INSERT INTO moved_from_slots (appointment_id, doctor_id, starts_at, ends_at, moved_at)
            SELECT id, doctor_id, starts_at, ends_at, $4 FROM old WHERE old.starts_at <> $2
        )
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        """,
        appointment_id,
        starts_at,
        ends_at,
        now,
    )
    assert row is not None
    return Appointment.from_row(row)


async def update_appointment_status(
    conn: Connection, *, appointment_id: UUID, status: AppointmentStatus, now: datetime
) -> Appointment:
    """Set the status; `cancelled_at` is `now` for a cancellation and empty otherwise."""
    row = await conn.fetchrow(
        """
        WITH a AS (
            UPDATE appointments
            SET status = $2::text, updated_at = $3::timestamptz,
                cancelled_at = CASE WHEN $2::text = 'cancelled' THEN $3::timestamptz END
            WHERE id = $1
            RETURNING *
        )
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        """,
        appointment_id,
        str(status),
        now,
    )
    assert row is not None
    return Appointment.from_row(row)


async def lock_patient_upcoming_count(conn: Connection, *, patient_id: int, now: datetime) -> int:
    """Take the patient's booking lock until the transaction ends; count their booked appointments from `now` on.

    Every booking for the patient takes the same lock first, so two of them cannot both count below a limit.
    An advisory lock rather than the patient's row FOR UPDATE: the runtime role may not update patients.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('patient_bookings:' || $1::bigint))", patient_id)
    count: int = await conn.fetchval(
        "SELECT count(*) FROM appointments WHERE patient_id = $1 AND status = 'booked' AND starts_at >= $2",
        patient_id,
        now,
    )
    return count


async def upcoming_for_patient(conn: Connection, *, patient_id: int, now: datetime, limit: int) -> list[Appointment]:
    """The patient's booked appointments starting at or after `now`, soonest first."""
    rows = await conn.fetch(
        """
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        WHERE a.patient_id = $1 AND a.status = 'booked' AND a.starts_at >= $2
        ORDER BY a.starts_at
        LIMIT $3
        """,
        patient_id,
        now,
        limit,
    )
    return [Appointment.from_row(r) for r in rows]


async def upcoming_for_family(conn: Connection, *, holder_id: int, now: datetime, limit: int) -> list[Appointment]:
    """Booked appointments from `now` on of the holder and of the family members their phone speaks for."""
    rows = await conn.fetch(
        """
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        WHERE a.patient_id IN (SELECT id FROM patients WHERE id = $1 AND holder_id IS NULL OR holder_id = $1)
          AND a.status = 'booked' AND a.starts_at >= $2
        ORDER BY a.starts_at
        LIMIT $3
        """,
        holder_id,
        now,
        limit,
    )
    return [Appointment.from_row(r) for r in rows]


async def doctor_appointments(
    conn: Connection, *, doctor_id: int, starts: datetime, ends: datetime, include_cancelled: bool
) -> list[Appointment]:
    """The doctor's appointments starting in [starts, ends), in order."""
    rows = await conn.fetch(
        """
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        WHERE a.doctor_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 AND ($4 OR a.status <> 'cancelled')
        ORDER BY a.starts_at, a.created_at
        """,
        doctor_id,
        starts,
        ends,
        include_cancelled,
    )
    return [Appointment.from_row(r) for r in rows]


async def appointments_between(
    conn: Connection, *, starts: datetime, ends: datetime, doctor_id: int | None, include_cancelled: bool
) -> list[Appointment]:
    """Appointments starting in [starts, ends), of one doctor or of all, by start time then doctor."""
    rows = await conn.fetch(
        """
        SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code
        FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
        WHERE a.starts_at >= $1 AND a.starts_at < $2 AND ($3::bigint IS NULL OR a.doctor_id = $3)
          AND ($4 OR a.status <> 'cancelled')
        ORDER BY a.starts_at, d.full_name, a.created_at
        """,
        starts,
        ends,
        doctor_id,
        include_cancelled,
    )
    return [Appointment.from_row(r) for r in rows]
