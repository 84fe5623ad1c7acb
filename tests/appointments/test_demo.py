from __future__ import annotations

import asyncpg

from appointments.demo import (
    CLINIC_OVERRIDES,
    DOCTORS,
    PATIENTS,
    SCHEDULES,
    SPECIALTIES,
    seed_demo_clinic,
    weekly_blocks,
)


async def test_seeding_twice_leaves_one_demo_clinic(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        first = await seed_demo_clinic(conn)
        second = await seed_demo_clinic(conn)
        blocks = sum(len(weekly_blocks(0, week)) for week in SCHEDULES.values())
        assert (
            first
            == second
            == {
                "specialties": len(SPECIALTIES),
                "doctors": len(DOCTORS),
                "patients": len(PATIENTS),
                "schedule_blocks": blocks,
                "schedule_overrides": len(CLINIC_OVERRIDES),
            }
        )
        pediatricians = await conn.fetch(
            "SELECT d.full_name FROM doctors d JOIN specialties s ON s.id = d.specialty_id WHERE s.code = 'pediatria'"
        )
        assert [r["full_name"] for r in pediatricians] == ["Dra. Lucía Vargas"]
        general = await conn.fetch(
            """
            SELECT DISTINCT ds.slot_minutes FROM doctor_schedules ds
            JOIN doctors d ON d.id = ds.doctor_id JOIN specialties s ON s.id = d.specialty_id
            WHERE s.code = 'medicina_general'
            """
        )
        assert [r["slot_minutes"] for r in general] == [20]
        closed = await conn.fetch(
            "SELECT on_date FROM schedule_overrides WHERE doctor_id IS NULL AND start_time IS NULL ORDER BY on_date"
        )
        assert [str(r["on_date"]) for r in closed] == ["2026-12-25", "2027-01-01"]
    finally:
        await conn.close()


def test_every_demo_doctor_has_a_schedule() -> None:
    assert {name for name, _ in DOCTORS} == set(SCHEDULES)
