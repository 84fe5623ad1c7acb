"""SQL for the clinic's people. Idempotent upserts, so seeding can run on every start."""

from __future__ import annotations

import asyncpg
from asyncpg.pool import PoolConnectionProxy

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


async def upsert_patient(conn: Connection, *, phone: str, full_name: str, document_number: str | None) -> int:
    """Register a patient by phone (E.164), updating name and document; return the id."""
    patient_id: int = await conn.fetchval(
        """
        INSERT INTO patients (phone, full_name, document_number) VALUES ($1, $2, $3)
        ON CONFLICT (phone) DO UPDATE
            SET full_name = EXCLUDED.full_name, document_number = EXCLUDED.document_number
        RETURNING id
        """,
        phone,
        full_name,
        document_number,
    )
    return patient_id


async def count_clinic_rows(conn: Connection) -> dict[str, int]:
    """How many specialties, doctors and patients exist."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM specialties) AS specialties,
               (SELECT count(*) FROM doctors) AS doctors,
               (SELECT count(*) FROM patients) AS patients
        """
    )
    assert row is not None
    return dict(row)
