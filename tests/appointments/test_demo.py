from __future__ import annotations

import asyncpg

from appointments.demo import DOCTORS, PATIENTS, SPECIALTIES, seed_demo_clinic


async def test_seeding_twice_leaves_one_demo_clinic(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        first = await seed_demo_clinic(conn)
        second = await seed_demo_clinic(conn)
        assert first == second == {"specialties": len(SPECIALTIES), "doctors": len(DOCTORS), "patients": len(PATIENTS)}
        pediatricians = await conn.fetch(
            "SELECT d.full_name FROM doctors d JOIN specialties s ON s.id = d.specialty_id WHERE s.code = 'pediatria'"
        )
        assert [r["full_name"] for r in pediatricians] == ["Dra. Lucía Vargas"]
    finally:
        await conn.close()
