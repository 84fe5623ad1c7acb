"""The SQL of the console's Pacientes: finding patients by phone or name, and one patient's record.

`doctor_id`, where a query takes it, narrows everything to that doctor's patients and appointments (a medico's view);
None is the whole clinic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from appointments.repository import Connection
from appointments.schemas import Appointment

# Every query reads the patient (p), the phone that speaks for them (their own, or their holder's: h) and, where $1
# is set, only a doctor's patients: those with an appointment with that doctor, whatever its status. The SQL is
# spelt out in each query (no string building), so what runs is what is read.


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A patient as the console shows them; a family member's phone is their holder's."""

    id: int
    full_name: str
    phone: str
    date_of_birth: date | None
    holder_id: int | None
    relation: str | None
    holder_name: str | None

    @property
    def phone_holder_id(self) -> int:
        """Whose phone it is: the holder's for a family member, their own otherwise."""
        return self.holder_id if self.holder_id is not None else self.id

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> PatientRecord:
        return cls(
            id=row["id"],
            full_name=row["full_name"],
            phone=row["phone"],
            date_of_birth=row["date_of_birth"],
            holder_id=row["holder_id"],
            relation=row["relation"],
            holder_name=row["holder_name"],
        )


async def by_phone_ending(conn: Connection, *, digits: str, doctor_id: int | None, limit: int) -> list[PatientRecord]:
    """Patients whose phone (or holder's phone) ends in `digits` (only 0-9), each family together, holder first."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("digits: only 0-9")
    rows = await conn.fetch(
        """
        SELECT p.id, p.full_name, coalesce(p.phone, h.phone) AS phone, p.date_of_birth, p.holder_id, p.relation,
               h.full_name AS holder_name
        FROM patients p LEFT JOIN patients h ON h.id = p.holder_id
        WHERE coalesce(p.phone, h.phone) LIKE '%' || $2
          AND ($1::bigint IS NULL OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1))
        ORDER BY coalesce(h.full_name, p.full_name), coalesce(p.holder_id, p.id), p.holder_id NULLS FIRST, p.id
        LIMIT $3
        """,
        doctor_id,
        digits,
        limit,
    )
    return [PatientRecord.from_row(r) for r in rows]


async def by_name(
    conn: Connection, *, patterns: Sequence[str], doctor_id: int | None, limit: int
) -> list[PatientRecord]:
    """Patients whose folded name (lower case, no accents) contains every LIKE pattern, already folded and escaped
    with `\\` (`patients.name_terms`); names starting with the first pattern first, then by name."""
    if not patterns:
        raise ValueError("patterns: at least one")
    # translate() maps both cases, whatever lower() does under the database's locale.
    rows = await conn.fetch(
        r"""
        SELECT p.id, p.full_name, coalesce(p.phone, h.phone) AS phone, p.date_of_birth, p.holder_id, p.relation,
               h.full_name AS holder_name
        FROM (
            SELECT *, translate(lower(full_name), 'áàâäãéèêëíìîïóòôöõúùûüñçÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇ',
                                                  'aaaaaeeeeiiiiooooouuuuncaaaaaeeeeiiiiooooouuuunc') AS folded
            FROM patients
        ) p LEFT JOIN patients h ON h.id = p.holder_id
        WHERE NOT EXISTS (SELECT FROM unnest($2::text[]) AS w (pattern) WHERE p.folded NOT LIKE '%' || w.pattern || '%')
          AND ($1::bigint IS NULL OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1))
        ORDER BY p.folded LIKE $3 || '%' DESC, p.folded, p.id
        LIMIT $4
        """,
        doctor_id,
        list(patterns),
        patterns[0],
        limit,
    )
    return [PatientRecord.from_row(r) for r in rows]


async def patient(conn: Connection, *, patient_id: int, doctor_id: int | None) -> PatientRecord | None:
    """One patient, or None when there is none (or, with `doctor_id`, when that doctor never had them)."""
    row = await conn.fetchrow(
        """
        SELECT p.id, p.full_name, coalesce(p.phone, h.phone) AS phone, p.date_of_birth, p.holder_id, p.relation,
               h.full_name AS holder_name
        FROM patients p LEFT JOIN patients h ON h.id = p.holder_id
        WHERE p.id = $2
          AND ($1::bigint IS NULL OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1))
        """,
        doctor_id,
        patient_id,
    )
    return None if row is None else PatientRecord.from_row(row)


async def exists(conn: Connection, *, patient_id: int) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM patients WHERE id = $1)", patient_id)
    return found


async def family(conn: Connection, *, holder_id: int, doctor_id: int | None) -> list[PatientRecord]:
    """The family members the holder's phone speaks for, in the order they were added."""
    rows = await conn.fetch(
        """
        SELECT p.id, p.full_name, h.phone, p.date_of_birth, p.holder_id, p.relation, h.full_name AS holder_name
        FROM patients p JOIN patients h ON h.id = p.holder_id
        WHERE p.holder_id = $2
          AND ($1::bigint IS NULL OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1))
        ORDER BY p.id
        """,
        doctor_id,
        holder_id,
    )
    return [PatientRecord.from_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Visit:
    """One of the patient's appointments with its specialty's name."""

    appointment: Appointment
    specialty_name: str


async def appointments(
    conn: Connection, *, patient_id: int, doctor_id: int | None, now: datetime, limit: int
) -> tuple[list[Visit], list[Visit]]:
    """The patient's appointments from `now` on (soonest first) and before it (latest first), at most `limit`
    each, cancelled ones too."""
    rows = await conn.fetch(
        """
        (SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code, s.name AS specialty_name
         FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
         WHERE a.patient_id = $2 AND ($1::bigint IS NULL OR a.doctor_id = $1) AND a.starts_at >= $3
         ORDER BY a.starts_at, a.created_at LIMIT $4)
        UNION ALL
        (SELECT a.*, d.full_name AS doctor_name, s.code AS specialty_code, s.name AS specialty_name
         FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN specialties s ON s.id = d.specialty_id
         WHERE a.patient_id = $2 AND ($1::bigint IS NULL OR a.doctor_id = $1) AND a.starts_at < $3
         ORDER BY a.starts_at DESC, a.created_at DESC LIMIT $4)
        """,
        doctor_id,
        patient_id,
        now,
        limit,
    )
    visits = [Visit(Appointment.from_row(r), r["specialty_name"]) for r in rows]
    # UNION ALL keeps no order of its own: sort each half here.
    upcoming = sorted((v for v in visits if v.appointment.starts_at >= now), key=_when)
    past = sorted((v for v in visits if v.appointment.starts_at < now), key=_when, reverse=True)
    return upcoming, past


def _when(visit: Visit) -> tuple[datetime, datetime]:
    return visit.appointment.starts_at, visit.appointment.created_at
