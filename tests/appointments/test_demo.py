from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from appointments.demo import (
    CLINIC_OVERRIDES,
    DEMO_BOOKED_AGO,
    DOCTORS,
    PATIENTS,
    SCHEDULES,
    SPECIALTIES,
    seed_demo_clinic,
    seed_demo_reminder,
    weekly_blocks,
)
from notifications.planning import plan

LA_PAZ = ZoneInfo("America/La_Paz")


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


async def test_the_demo_reminder_is_due_when_make_run_starts(conn: asyncpg.Connection) -> None:
    # QA: María's reminder showed due 24 h before her visit but went out 2 h before it, the visit being that close.
    await seed_demo_clinic(conn)
    now, horizon = datetime(2030, 3, 4, 9, 10, tzinfo=LA_PAZ), timedelta(hours=24)  # the doctors work a day later

    demo = await seed_demo_reminder(conn, now=now, tz=LA_PAZ, horizon=horizon)

    assert demo.appointment is not None and demo.created
    [first] = plan(
        starts_at=demo.appointment.starts_at, booked_at=now - DEMO_BOOKED_AGO, hours_before=[24], quiet=None, tz=LA_PAZ
    )
    assert first.due_at is not None and now - timedelta(minutes=20) < first.due_at <= now
    again = await seed_demo_reminder(conn, now=now + timedelta(minutes=1), tz=LA_PAZ, horizon=horizon)
    assert again.appointment == demo.appointment and not again.created


async def test_at_night_the_demo_visit_is_in_clinic_hours_and_its_reminder_goes_at_once(
    conn: asyncpg.Connection,
) -> None:
    # A visit fitted in at the horizon's end put María's demo appointment at 04:20, the clinic closed.
    await seed_demo_clinic(conn)
    now, horizon = datetime(2030, 3, 4, 4, 25, tzinfo=LA_PAZ), timedelta(hours=24)  # a Monday, before opening

    demo = await seed_demo_reminder(conn, now=now, tz=LA_PAZ, horizon=horizon)

    assert demo.appointment is not None
    starts = demo.appointment.starts_at.astimezone(LA_PAZ)
    assert starts.date() == now.date() and 8 <= starts.hour < 20
    [first] = plan(starts_at=starts, booked_at=now - DEMO_BOOKED_AGO, hours_before=[24], quiet=None, tz=LA_PAZ)
    assert first.due_at is not None and first.due_at <= now
