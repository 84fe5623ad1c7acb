"""SQL for the clinic's people: specialties, doctors and patients. Upserts are idempotent, so seeding
can run on every start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from appointments.repository.connection import Connection
from appointments.schemas import Doctor, Patient, PatientContact


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


async def document_on_file(conn: Connection, *, document_number: str) -> bool:
    """Whether a patient already holds this carnet: the same number and complement, whatever the department.

    The department is left out because patients often omit it ("6234871" for "6234871 LP"); a match is only a
    reason for a person to check, never a merge.
    """
    number = document_number.split(" ", 1)[0]
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT FROM patients WHERE split_part(document_number, ' ', 1) = $1)", number
    )
    return found


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


async def dependents_of(conn: Connection, *, holder_id: int) -> list[Patient]:
    """The family members the holder's phone speaks for, in the order they were added."""
    rows = await conn.fetch(
        """
        SELECT p.id, coalesce(p.phone, h.phone) AS phone, p.full_name, p.document_number, p.date_of_birth, p.holder_id,
               p.relation
        FROM patients p JOIN patients h ON h.id = p.holder_id
        WHERE p.holder_id = $1
        ORDER BY p.id
        """,
        holder_id,
    )
    return [Patient.from_row(r) for r in rows]


async def family_member(conn: Connection, *, holder_id: int, patient_id: int) -> Patient | None:
    """The holder themself or one of their dependents; None for anyone else (another phone's family)."""
    row = await conn.fetchrow(
        """
        SELECT p.id, coalesce(p.phone, h.phone) AS phone, p.full_name, p.document_number, p.date_of_birth, p.holder_id,
               p.relation
        FROM patients p LEFT JOIN patients h ON h.id = p.holder_id
        WHERE p.id = $2 AND (p.id = $1 AND p.holder_id IS NULL OR p.holder_id = $1)
        """,
        holder_id,
        patient_id,
    )
    return None if row is None else Patient.from_row(row)


async def add_dependent(
    conn: Connection, *, holder_id: int, full_name: str, date_of_birth: date, relation: str | None
) -> Patient | None:
    """Add a family member to a holder's phone; one already there under that name is returned as it is.

    None when `holder_id` is not a holder (a dependent cannot have dependents of their own).
    """
    # Rows a statement inserts are not in its own snapshot: the new one is read from RETURNING.
    row = await conn.fetchrow(
        """
        WITH holder AS (
            SELECT id, phone FROM patients WHERE id = $1 AND holder_id IS NULL
        ),
        new AS (
            INSERT INTO patients (holder_id, full_name, date_of_birth, relation)
            SELECT id, $2, $3, $4 FROM holder
            ON CONFLICT (holder_id, lower(full_name)) WHERE holder_id IS NOT NULL DO NOTHING
            RETURNING id, phone, full_name, document_number, date_of_birth, holder_id, relation
        )
        SELECT n.id, h.phone, n.full_name, n.document_number, n.date_of_birth, n.holder_id, n.relation
        FROM new n JOIN holder h ON h.id = n.holder_id
        UNION ALL
        SELECT p.id, coalesce(p.phone, h.phone) AS phone, p.full_name, p.document_number, p.date_of_birth, p.holder_id,
               p.relation
        FROM patients p JOIN holder h ON h.id = p.holder_id
        WHERE lower(p.full_name) = lower($2) AND NOT EXISTS (SELECT FROM new)
        """,
        holder_id,
        full_name,
        date_of_birth,
        relation,
    )
    return None if row is None else Patient.from_row(row)


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
        """
        SELECT p.id, p.full_name, coalesce(p.phone, h.phone) AS phone
        FROM patients p LEFT JOIN patients h ON h.id = p.holder_id
        WHERE p.id = ANY($1::bigint[])
        """,
        sorted(set(patient_ids)),
    )
    return {r["id"]: PatientContact.from_row(r) for r in rows}


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
