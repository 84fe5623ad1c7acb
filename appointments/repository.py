"""SQL for the clinic: people, schedules and appointments. Upserts are idempotent, so seeding
can run on every start; appointment queries return rows joined with the doctor and specialty."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from appointments.schemas import (
    Appointment,
    AppointmentStatus,
    Busy,
    CreatedBy,
    Doctor,
    Patient,
    PatientContact,
    ScheduleBlock,
    ScheduleOverride,
)

Connection = asyncpg.Connection | PoolConnectionProxy


async def upsert_specialty(conn: Connection, *, code: str, name: str) -> int:
    """Create or rename a specialty; return its id."""
    specialty_id: int = await conn.fetchval(
        """
        INSERT INTO specialties (code, name) VALUES ($1, $2)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name
        RETURNING id
        """,
        code,
        name,
    )
    return specialty_id


async def upsert_doctor(conn: Connection, *, full_name: str, specialty_id: int) -> int:
    """Create a doctor or move them to `specialty_id`; return the doctor's id."""
    doctor_id: int = await conn.fetchval(
        """
        INSERT INTO doctors (full_name, specialty_id) VALUES ($1, $2)
        ON CONFLICT (full_name) DO UPDATE SET specialty_id = EXCLUDED.specialty_id
        RETURNING id
        """,
        full_name,
        specialty_id,
    )
    return doctor_id


async def upsert_patient(
    conn: Connection, *, phone: str, full_name: str, document_number: str | None, date_of_birth: date | None
) -> int:
    """Register a patient by phone (E.164), updating name, document and date of birth; return the id."""
    patient_id: int = await conn.fetchval(
        """
        INSERT INTO patients (phone, full_name, document_number, date_of_birth) VALUES ($1, $2, $3, $4)
        ON CONFLICT (phone) DO UPDATE
            SET full_name = EXCLUDED.full_name,
                document_number = EXCLUDED.document_number,
                date_of_birth = EXCLUDED.date_of_birth
        RETURNING id
        """,
        phone,
        full_name,
        document_number,
        date_of_birth,
    )
    return patient_id


async def patient_by_phone(conn: Connection, *, phone: str) -> Patient | None:
    """The patient registered with this phone (E.164), if any."""
    row = await conn.fetchrow(
        "SELECT id, phone, full_name, document_number, date_of_birth FROM patients WHERE phone = $1", phone
    )
    return None if row is None else Patient.from_row(row)


async def register_patient(
    conn: Connection, *, phone: str, full_name: str, document_number: str, date_of_birth: date
) -> Patient:
    """Register a new patient; an already registered phone keeps its record, which is returned."""
    row = await conn.fetchrow(
        """
        WITH new AS (
            INSERT INTO patients (phone, full_name, document_number, date_of_birth) VALUES ($1, $2, $3, $4)
            ON CONFLICT (phone) DO NOTHING
            RETURNING id, phone, full_name, document_number, date_of_birth
        )
        SELECT * FROM new
        UNION ALL
        SELECT id, phone, full_name, document_number, date_of_birth FROM patients
        WHERE phone = $1 AND NOT EXISTS (SELECT FROM new)
        """,
        phone,
        full_name,
        document_number,
        date_of_birth,
    )
    assert row is not None
    return Patient.from_row(row)


async def specialty_names(conn: Connection) -> dict[str, str]:
    """Specialty codes to the names patients read ("pediatria" → "Pediatría")."""
    rows = await conn.fetch("SELECT code, name FROM specialties ORDER BY name")
    return {row["code"]: row["name"] for row in rows}


async def count_clinic_rows(conn: Connection) -> dict[str, int]:
    """How many specialties, doctors, patients, schedule blocks and schedule overrides exist."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM specialties) AS specialties,
               (SELECT count(*) FROM doctors) AS doctors,
               (SELECT count(*) FROM patients) AS patients,
               (SELECT count(*) FROM doctor_schedules) AS schedule_blocks,
               (SELECT count(*) FROM schedule_overrides) AS schedule_overrides
        """
    )
    assert row is not None
    return dict(row)


async def patient_contacts(conn: Connection, *, patient_ids: Sequence[int]) -> dict[int, PatientContact]:
    """Name and phone of these patients, by id (unknown ids are left out)."""
    rows = await conn.fetch(
        "SELECT id, full_name, phone FROM patients WHERE id = ANY($1::bigint[])", sorted(set(patient_ids))
    )
    return {r["id"]: PatientContact.from_row(r) for r in rows}


# --- schedules ---------------------------------------------------------------------------


async def replace_weekly_schedule(conn: Connection, *, doctor_id: int, blocks: Sequence[ScheduleBlock]) -> None:
    """Make `blocks` the doctor's whole week (run it inside a transaction)."""
    if any(block.doctor_id != doctor_id for block in blocks):
        raise ValueError("every block must belong to doctor_id")
    await conn.execute("DELETE FROM doctor_schedules WHERE doctor_id = $1", doctor_id)
    await conn.executemany(
        """
        INSERT INTO doctor_schedules (doctor_id, weekday, start_time, end_time, slot_minutes)
        VALUES ($1, $2, $3, $4, $5)
        """,
        [(b.doctor_id, b.weekday, b.start, b.end, b.slot_minutes) for b in blocks],
    )


async def upsert_schedule_override(conn: Connection, *, override: ScheduleOverride) -> int:
    """Create or update an override (keyed by date, doctor or clinic, and start); return its id."""
    override_id: int = await conn.fetchval(
        """
        INSERT INTO schedule_overrides (on_date, doctor_id, start_time, end_time, slot_minutes, reason)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT ON CONSTRAINT schedule_overrides_unique DO UPDATE
            SET end_time = EXCLUDED.end_time, slot_minutes = EXCLUDED.slot_minutes, reason = EXCLUDED.reason
        RETURNING id
        """,
        override.on_date,
        override.doctor_id,
        override.start,
        override.end,
        override.slot_minutes,
        override.reason,
    )
    return override_id


async def active_doctors(
    conn: Connection, *, doctor_id: int | None = None, specialty_code: str | None = None
) -> list[Doctor]:
    """Active doctors, optionally only one doctor or one specialty, by name."""
    rows = await conn.fetch(
        """
        SELECT d.id, d.full_name, s.code AS specialty_code, s.name AS specialty_name
        FROM doctors d JOIN specialties s ON s.id = d.specialty_id
        WHERE d.active AND ($1::bigint IS NULL OR d.id = $1) AND ($2::text IS NULL OR s.code = $2)
        ORDER BY d.full_name
        """,
        doctor_id,
        specialty_code,
    )
    return [Doctor.from_row(r) for r in rows]


async def doctor_exists(conn: Connection, *, doctor_id: int) -> bool:
    """Whether the doctor exists, active or not (past appointments outlive a doctor's activity)."""
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM doctors WHERE id = $1)", doctor_id)
    return found


async def weekly_schedules(conn: Connection, *, doctor_ids: Sequence[int]) -> list[ScheduleBlock]:
    """The weekly blocks of these doctors."""
    rows = await conn.fetch(
        """
        SELECT doctor_id, weekday, start_time, end_time, slot_minutes
        FROM doctor_schedules WHERE doctor_id = ANY($1::bigint[])
        ORDER BY doctor_id, weekday, start_time
        """,
        list(doctor_ids),
    )
    return [ScheduleBlock.from_row(r) for r in rows]


async def schedule_overrides(
    conn: Connection, *, doctor_ids: Sequence[int], first_day: date, last_day: date
) -> list[ScheduleOverride]:
    """Clinic-wide overrides and those of these doctors, dates `first_day`..`last_day` inclusive."""
    rows = await conn.fetch(
        """
        SELECT on_date, doctor_id, start_time, end_time, slot_minutes, reason
        FROM schedule_overrides
        WHERE on_date BETWEEN $2 AND $3 AND (doctor_id IS NULL OR doctor_id = ANY($1::bigint[]))
        ORDER BY on_date, doctor_id NULLS FIRST, start_time
        """,
        list(doctor_ids),
        first_day,
        last_day,
    )
    return [ScheduleOverride.from_row(r) for r in rows]


async def busy_between(
    conn: Connection, *, doctor_ids: Sequence[int], patient_id: int | None, starts: datetime, ends: datetime
) -> list[Busy]:
    """Non-cancelled appointments overlapping [starts, ends) of these doctors or of the patient."""
    rows = await conn.fetch(
        """
        SELECT starts_at, ends_at, doctor_id, patient_id FROM appointments
        WHERE status <> 'cancelled' AND tstzrange(starts_at, ends_at) && tstzrange($3, $4)
          AND (doctor_id = ANY($1::bigint[]) OR patient_id = $2)
        ORDER BY starts_at
        """,
        list(doctor_ids),
        patient_id,
        starts,
        ends,
    )
    return [
        Busy(starts_at=r["starts_at"], ends_at=r["ends_at"], doctor_id=r["doctor_id"], patient_id=r["patient_id"])
        for r in rows
    ]


# --- appointments ------------------------------------------------------------------------


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
    """Move an appointment in place; raises asyncpg.ExclusionViolationError if the new time is taken."""
    row = await conn.fetchrow(
        """
        WITH a AS (
            UPDATE appointments SET starts_at = $2, ends_at = $3, updated_at = $4 WHERE id = $1 RETURNING *
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
