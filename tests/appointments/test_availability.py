from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from appointments import booking, repository
from appointments.availability import free_slots
from appointments.schemas import ScheduleOverride
from tests.support.clinic import MONDAY, TUESDAY, ZONE, Clinic, local

A_WEEK_BEFORE = local(MONDAY - timedelta(days=7), 9)


async def test_slots_are_la_paz_wall_times_of_utc_instants(conn: asyncpg.Connection, clinic: Clinic) -> None:
    slots = await free_slots(
        conn, doctor_id=clinic.quispe, first_day=TUESDAY, last_day=TUESDAY, now=A_WEEK_BEFORE, limit=None, tz=ZONE
    )
    assert len(slots) == 24  # 08-12 and 14-18 in 20-minute slots
    first = slots[0]
    assert first.starts_at.utcoffset() == timedelta(hours=-4)
    assert first.starts_at == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    assert (first.starts_at.time(), first.ends_at.time()) == (time(8), time(8, 20))
    assert (first.doctor_name, first.specialty_code) == ("Dra. Carmen Quispe", "medicina_general")


async def test_past_slots_and_slots_inside_the_minimum_notice_are_never_offered(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    now = local(MONDAY, 10, 5)

    async def first_start(notice: timedelta) -> time:
        slots = await free_slots(
            conn,
            doctor_id=clinic.quispe,
            first_day=MONDAY,
            last_day=MONDAY,
            now=now,
            min_notice=notice,
            limit=1,
            tz=ZONE,
        )
        return slots[0].starts_at.time()

    assert await first_start(timedelta(0)) == time(10, 20)
    assert await first_start(timedelta(hours=1)) == time(11, 20)
    assert await first_start(timedelta(hours=2)) == time(14)  # 12:05 is past the morning block
    earlier_days = await free_slots(
        conn,
        doctor_id=clinic.quispe,
        first_day=MONDAY - timedelta(days=3),
        last_day=MONDAY,
        now=now,
        limit=None,
        tz=ZONE,
    )
    assert earlier_days and all(s.starts_at >= now + timedelta(hours=2) for s in earlier_days)


async def test_slots_are_only_inside_working_hours(conn: asyncpg.Connection, clinic: Clinic) -> None:
    slots = await free_slots(
        conn,
        doctor_id=clinic.quispe,
        first_day=MONDAY,
        last_day=MONDAY + timedelta(days=6),
        now=A_WEEK_BEFORE,
        limit=None,
        tz=ZONE,
    )
    by_weekday: dict[int, int] = {}
    for slot in slots:
        start, end = slot.starts_at.time(), slot.ends_at.time()
        assert (time(8) <= start and end <= time(12)) or (time(14) <= start and end <= time(18))
        by_weekday[slot.starts_at.isoweekday()] = by_weekday.get(slot.starts_at.isoweekday(), 0) + 1
    assert by_weekday == {1: 24, 2: 24, 3: 24, 4: 24, 5: 24, 6: 12}  # Saturday mornings, no Sunday


async def test_taken_slots_are_not_offered_and_cancelling_frees_them(conn: asyncpg.Connection, clinic: Clinic) -> None:
    taken = local(TUESDAY, 8)

    async def offered() -> list[datetime]:
        slots = await free_slots(
            conn, doctor_id=clinic.quispe, first_day=TUESDAY, last_day=TUESDAY, now=A_WEEK_BEFORE, limit=3, tz=ZONE
        )
        return [s.starts_at for s in slots]

    appointment = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=taken, now=A_WEEK_BEFORE, tz=ZONE
    )
    assert await offered() == [local(TUESDAY, 8, 20), local(TUESDAY, 8, 40), local(TUESDAY, 9)]
    await booking.cancel(conn, appointment_id=appointment.id, patient_id=clinic.maria, now=A_WEEK_BEFORE)
    assert await offered() == [taken, local(TUESDAY, 8, 20), local(TUESDAY, 8, 40)]


async def test_clinic_holidays_close_every_doctor_and_a_half_day_keeps_only_the_morning(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    now = local(date(2026, 12, 1), 9)
    christmas = await free_slots(conn, first_day=date(2026, 12, 25), last_day=date(2026, 12, 25), now=now, tz=ZONE)
    assert christmas == []
    new_year = await free_slots(conn, first_day=date(2027, 1, 1), last_day=date(2027, 1, 1), now=now, tz=ZONE)
    assert new_year == []
    eve = await free_slots(
        conn, first_day=date(2026, 12, 24), last_day=date(2026, 12, 24), now=now, limit=None, tz=ZONE
    )
    assert eve and all(s.ends_at.time() <= time(12) for s in eve)
    assert max(s.ends_at.time() for s in eve) == time(12)
    boxing_day = await free_slots(
        conn,
        doctor_id=clinic.quispe,
        first_day=date(2026, 12, 26),
        last_day=date(2026, 12, 26),
        now=now,
        limit=None,
        tz=ZONE,
    )
    assert len(boxing_day) == 12  # an ordinary Saturday morning


async def test_a_doctors_leave_and_replacement_hours_apply_to_that_doctor_only(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    await repository.upsert_schedule_override(
        conn,
        override=ScheduleOverride(on_date=TUESDAY, doctor_id=clinic.mamani, start=None, end=None, reason="leave"),
    )
    await repository.upsert_schedule_override(
        conn,
        override=ScheduleOverride(
            on_date=TUESDAY, doctor_id=clinic.quispe, start=time(10), end=time(11), reason="congress"
        ),
    )
    slots = await free_slots(
        conn,
        specialty_code="medicina_general",
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=A_WEEK_BEFORE,
        limit=None,
        tz=ZONE,
    )
    assert [(s.doctor_id, s.starts_at.time()) for s in slots] == [
        (clinic.quispe, time(10)),
        (clinic.quispe, time(10, 20)),
        (clinic.quispe, time(10, 40)),
    ]
    wednesday = TUESDAY + timedelta(days=1)
    assert (
        len(
            await free_slots(
                conn,
                doctor_id=clinic.mamani,
                first_day=wednesday,
                last_day=wednesday,
                now=A_WEEK_BEFORE,
                limit=None,
                tz=ZONE,
            )
        )
        == 27
    )


async def test_a_specialty_search_spans_its_doctors_in_start_order(conn: asyncpg.Connection, clinic: Clinic) -> None:
    slots = await free_slots(
        conn,
        specialty_code="medicina_general",
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=A_WEEK_BEFORE,
        limit=4,
        tz=ZONE,
    )
    assert [(s.starts_at.time(), s.doctor_id) for s in slots] == [
        (time(8), clinic.mamani),
        (time(8), clinic.quispe),
        (time(8, 20), clinic.mamani),
        (time(8, 20), clinic.quispe),
    ]
    assert {s.specialty_code for s in slots} == {"medicina_general"}
    pediatrics = await free_slots(
        conn, specialty_code="pediatria", first_day=TUESDAY, last_day=TUESDAY, now=A_WEEK_BEFORE, limit=None, tz=ZONE
    )
    assert {s.doctor_id for s in pediatrics} == {clinic.vargas}


async def test_a_search_with_a_patient_skips_times_the_patient_is_already_booked(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=A_WEEK_BEFORE, tz=ZONE
    )
    slots = await free_slots(
        conn,
        specialty_code="medicina_general",
        patient_id=clinic.maria,
        first_day=TUESDAY,
        last_day=TUESDAY,
        now=A_WEEK_BEFORE,
        limit=2,
        tz=ZONE,
    )
    assert [(s.starts_at.time(), s.doctor_id) for s in slots] == [
        (time(8, 20), clinic.mamani),
        (time(8, 20), clinic.quispe),
    ]
