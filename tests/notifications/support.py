"""A small clinic, a settable clock and the reminder service wired to real Postgres for the notification tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

PEDIATRICS = "Pediatría"
DOCTOR = "Dra. Lucía Vargas"
PHONE_NUMBER_ID = "106540352242922"


@dataclass
class SetClock:
    """A clock the test moves by hand; injected where the service reads the time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


async def seed_doctor(conn: asyncpg.Connection) -> int:
    specialty = await conn.fetchval(
        "INSERT INTO specialties (code, name) VALUES ('pediatria', $1) RETURNING id", PEDIATRICS
    )
    doctor: int = await conn.fetchval(
        "INSERT INTO doctors (full_name, specialty_id) VALUES ($1, $2) RETURNING id", DOCTOR, specialty
    )
    return doctor


async def add_patient(
    conn: asyncpg.Connection,
    phone: str | None,
    full_name: str,
    *,
    consent: bool | None = True,
    holder_id: int | None = None,
) -> int:
    patient: int = await conn.fetchval(
        """
        INSERT INTO patients (phone, full_name, holder_id, relation, reminders_consent, reminders_consent_at)
        VALUES ($1, $2, $3, CASE WHEN $3::bigint IS NULL THEN NULL ELSE 'hijo' END, $4,
                CASE WHEN $4::boolean IS NULL THEN NULL ELSE now() END)
        RETURNING id
        """,
        phone,
        full_name,
        holder_id,
        consent,
    )
    return patient


async def book(
    conn: asyncpg.Connection, *, patient_id: int, doctor_id: int, starts_at: datetime, booked_at: datetime
) -> uuid.UUID:
    appointment: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, created_by, created_at, updated_at)
        VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '30 minutes', 'patient', $4, $4) RETURNING id
        """,
        patient_id,
        doctor_id,
        starts_at,
        booked_at,
    )
    return appointment


async def reminders(conn: asyncpg.Connection) -> list[tuple[int, str, str | None, int]]:
    """(hours_before, status, reason, attempts) of every reminder, by appointment start and hours."""
    rows = await conn.fetch(
        "SELECT hours_before, status, reason, attempts FROM reminders ORDER BY planned_start, hours_before DESC"
    )
    return [(r["hours_before"], r["status"], r["reason"], r["attempts"]) for r in rows]
