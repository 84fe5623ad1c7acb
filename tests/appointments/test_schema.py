"""The database itself refuses double bookings and impossible schedules."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.clinic import TUESDAY, Clinic, local

INSERT = """
    INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, created_by, status, cancelled_at)
    VALUES ($1, $2, $3, $4, 'staff', $5, CASE WHEN $5 = 'cancelled' THEN now() END)
"""


async def test_overlapping_appointments_are_refused_unless_cancelled(conn: asyncpg.Connection, clinic: Clinic) -> None:
    eight, half_past, nine = local(TUESDAY, 8), local(TUESDAY, 8, 30), local(TUESDAY, 9)
    await conn.execute(INSERT, clinic.maria, clinic.quispe, eight, half_past, "cancelled")
    await conn.execute(INSERT, clinic.maria, clinic.quispe, eight, half_past, "booked")
    await conn.execute(INSERT, clinic.juan, clinic.quispe, half_past, nine, "completed")  # back to back
    with pytest.raises(asyncpg.ExclusionViolationError, match="appointments_doctor_no_overlap"):
        await conn.execute(INSERT, clinic.juan, clinic.quispe, local(TUESDAY, 8, 15), local(TUESDAY, 8, 45), "booked")
    with pytest.raises(asyncpg.ExclusionViolationError, match="appointments_patient_no_overlap"):
        await conn.execute(INSERT, clinic.maria, clinic.mamani, eight, half_past, "no_show")
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(INSERT, clinic.juan, clinic.mamani, nine, eight, "booked")


async def test_a_doctors_blocks_on_one_day_cannot_overlap(conn: asyncpg.Connection, clinic: Clinic) -> None:
    with pytest.raises(asyncpg.ExclusionViolationError):
        await conn.execute(
            "INSERT INTO doctor_schedules (doctor_id, weekday, start_time, end_time, slot_minutes)"
            " VALUES ($1, 1, '11:00', '13:00', 20)",
            clinic.quispe,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO doctor_schedules (doctor_id, weekday, start_time, end_time, slot_minutes)"
            " VALUES ($1, 7, '13:00', '11:00', 20)",
            clinic.quispe,
        )
