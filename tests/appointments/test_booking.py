from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from appointments import booking, repository
from appointments.availability import free_slots
from appointments.errors import (
    AppointmentNotFound,
    InvalidStatusChange,
    NotBookable,
    NotYourAppointment,
    PatientBusy,
    SlotTaken,
    TooManyUpcoming,
)
from appointments.schemas import AppointmentStatus, CreatedBy, ScheduleOverride
from tests.support.clinic import MONDAY, TUESDAY, ZONE, Clinic, local

NOW = local(MONDAY, 9)  # Monday 2026-06-01 09:00 in La Paz


async def test_a_booking_is_stored_as_the_utc_instant_of_the_la_paz_slot(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    appointment = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
    )
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=20)
    assert (appointment.status, appointment.created_by, appointment.channel) == (
        AppointmentStatus.BOOKED,
        CreatedBy.PATIENT,
        "whatsapp",
    )
    assert (appointment.doctor_name, appointment.specialty_code) == ("Dra. Carmen Quispe", "medicina_general")
    stored = await conn.fetchval("SELECT starts_at AT TIME ZONE 'UTC' FROM appointments WHERE id = $1", appointment.id)
    assert stored == datetime(2026, 6, 2, 13, 0)
    assert appointment.starts_at == datetime(2026, 6, 2, 13, 0, tzinfo=UTC)


async def test_two_patients_racing_for_the_same_slot_exactly_one_wins(database_url: str, clinic: Clinic) -> None:
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        for minute in (0, 20, 40):
            starts_at = local(TUESDAY, 10, minute)
            results = await asyncio.gather(
                booking.book(
                    first, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=starts_at, now=NOW, tz=ZONE
                ),
                booking.book(
                    second, patient_id=clinic.juan, doctor_id=clinic.quispe, starts_at=starts_at, now=NOW, tz=ZONE
                ),
                return_exceptions=True,
            )
            winners = [r for r in results if not isinstance(r, BaseException)]
            losers = [r for r in results if isinstance(r, BaseException)]
            assert len(winners) == 1
            assert len(losers) == 1 and type(losers[0]) is SlotTaken
            rows = await first.fetchval(
                "SELECT count(*) FROM appointments WHERE doctor_id = $1 AND starts_at = $2", clinic.quispe, starts_at
            )
            assert rows == 1
    finally:
        await first.close()
        await second.close()


async def _until_waiting_on_a_lock(observer: asyncpg.Connection, pid: int, *, within_s: float = 10) -> None:
    """Return once backend `pid` waits on a lock (Postgres has no event to await for that)."""
    for _ in range(int(within_s / 0.01)):
        if await observer.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", pid
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited on a lock")


async def test_a_booking_that_loses_a_deadlock_is_refused_as_taken_not_failed(
    database_url: str, clinic: Clinic
) -> None:
    """Exclusion constraints let two conflicting inserts wait on each other; Postgres kills one.

    Built here on purpose: the holder books Juan with Quispe at 10:00 and keeps its transaction
    open; book() then asks for Juan with Mamani at 10:00, which claims Mamani's 10:00 and waits on
    Juan's time; the holder now claims Mamani's 10:00 too and waits on book(): a cycle.
    """
    holder, patient = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    ten = local(TUESDAY, 10)

    async def hold(patient_id: int, doctor_id: int) -> None:
        await repository.insert_appointment(
            holder,
            patient_id=patient_id,
            doctor_id=doctor_id,
            starts_at=ten,
            ends_at=ten + timedelta(minutes=20),
            created_by=CreatedBy.STAFF,
            channel="desk",
            now=NOW,
        )

    async def deadlocks() -> int:
        return await holder.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

    try:
        before = await deadlocks()
        transaction = holder.transaction()
        await transaction.start()
        await hold(clinic.juan, clinic.quispe)
        booking_task = asyncio.create_task(
            booking.book(patient, patient_id=clinic.juan, doctor_id=clinic.mamani, starts_at=ten, now=NOW, tz=ZONE)
        )
        await _until_waiting_on_a_lock(holder, patient.get_server_pid())
        holder_outcome: BaseException | None = None
        try:
            await hold(clinic.maria, clinic.mamani)
        except asyncpg.DeadlockDetectedError as exc:  # Postgres may pick either side as the victim
            holder_outcome = exc
            await transaction.rollback()
        else:
            await transaction.commit()
        outcome = await asyncio.wait_for(asyncio.gather(booking_task, return_exceptions=True), timeout=30)
        for _ in range(150):  # a backend reports its statistics up to a second or so late
            if await deadlocks() > before:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the scenario no longer builds a deadlock; the test proves nothing")
        if holder_outcome is None:
            assert isinstance(outcome[0], SlotTaken)  # book() was the victim, ran again, saw the holder's rows
        else:
            assert not isinstance(outcome[0], BaseException)  # the holder was the victim; book() went through
    finally:
        await holder.close()
        await patient.close()


async def test_a_patient_cannot_be_in_two_places_at_once(conn: asyncpg.Connection, clinic: Clinic) -> None:
    await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    with pytest.raises(PatientBusy):  # 08:00-08:30 with pediatrics overlaps 08:00-08:20
        await booking.book(
            conn, patient_id=clinic.maria, doctor_id=clinic.vargas, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
        )
    with pytest.raises(PatientBusy):
        await booking.book(
            conn, patient_id=clinic.maria, doctor_id=clinic.mamani, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
        )
    back_to_back = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.mamani, starts_at=local(TUESDAY, 8, 20), now=NOW, tz=ZONE
    )
    assert back_to_back.status is AppointmentStatus.BOOKED


@pytest.mark.parametrize(
    ("starts_at", "why"),
    [
        (local(TUESDAY, 9, 5), "off the slot grid"),
        (local(TUESDAY, 12), "lunch break"),
        (local(TUESDAY, 7, 40), "before opening"),
        (local(MONDAY + timedelta(days=6), 9), "Sunday"),
        (local(MONDAY, 8, 20), "past"),
        (local(MONDAY, 10, 40), "inside the two-hour notice"),
    ],
)
async def test_only_upcoming_schedule_slots_can_be_booked(
    conn: asyncpg.Connection, clinic: Clinic, starts_at: datetime, why: str
) -> None:
    with pytest.raises(NotBookable):
        await booking.book(
            conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=starts_at, now=NOW, tz=ZONE
        )
    assert await conn.fetchval("SELECT count(*) FROM appointments") == 0, why


async def test_override_days_and_naive_times_cannot_be_booked(conn: asyncpg.Connection, clinic: Clinic) -> None:
    await repository.upsert_schedule_override(
        conn, override=ScheduleOverride(on_date=TUESDAY, doctor_id=None, start=None, end=None, reason="holiday")
    )
    with pytest.raises(NotBookable):
        await booking.book(
            conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        await booking.book(
            conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=datetime(2026, 6, 3, 9), now=NOW, tz=ZONE
        )


async def test_rescheduling_to_a_taken_slot_leaves_the_original_booked_and_unchanged(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    mine = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    await booking.book(
        conn, patient_id=clinic.juan, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8, 20), now=NOW, tz=ZONE
    )
    with pytest.raises(SlotTaken):
        await booking.reschedule(
            conn,
            appointment_id=mine.id,
            patient_id=clinic.maria,
            new_starts_at=local(TUESDAY, 8, 20),
            now=NOW + timedelta(minutes=5),
            tz=ZONE,
        )
    assert await repository.get_appointment(conn, appointment_id=mine.id) == mine


async def test_a_move_clears_the_confirmation_given_for_the_old_time(conn: asyncpg.Connection, clinic: Clinic) -> None:
    # QA: confirmed for Thursday 18:40, moved to Friday, and told "ya estaba confirmada para el viernes".
    mine = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    assert await repository.confirm_attendance(conn, appointment_id=mine.id, now=NOW)

    await booking.reschedule(
        conn,
        appointment_id=mine.id,
        patient_id=clinic.maria,
        new_starts_at=local(TUESDAY, 15),
        now=NOW + timedelta(minutes=5),
        tz=ZONE,
    )

    assert await repository.confirmed_at(conn, appointment_id=mine.id) is None


async def test_rescheduling_moves_the_same_appointment_and_frees_the_old_slot(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    mine = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    later = NOW + timedelta(minutes=5)
    moved = await booking.reschedule(
        conn, appointment_id=mine.id, patient_id=clinic.maria, new_starts_at=local(TUESDAY, 15), now=later, tz=ZONE
    )
    assert (moved.id, moved.starts_at, moved.ends_at, moved.updated_at) == (
        mine.id,
        local(TUESDAY, 15),
        local(TUESDAY, 15, 20),
        later,
    )
    assert moved.created_at == mine.created_at
    slots = await free_slots(
        conn, doctor_id=clinic.quispe, first_day=TUESDAY, last_day=TUESDAY, now=later, limit=1, tz=ZONE
    )
    assert slots[0].starts_at == local(TUESDAY, 8)
    with pytest.raises(NotBookable):
        await booking.reschedule(
            conn,
            appointment_id=mine.id,
            patient_id=clinic.maria,
            new_starts_at=local(TUESDAY, 15, 5),
            now=later,
            tz=ZONE,
        )


async def test_another_patients_appointment_cannot_be_touched(conn: asyncpg.Connection, clinic: Clinic) -> None:
    hers = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    with pytest.raises(NotYourAppointment):
        await booking.cancel(conn, appointment_id=hers.id, patient_id=clinic.juan, now=NOW)
    with pytest.raises(NotYourAppointment):
        await booking.reschedule(
            conn, appointment_id=hers.id, patient_id=clinic.juan, new_starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
        )
    assert await repository.get_appointment(conn, appointment_id=hers.id) == hers
    with pytest.raises(AppointmentNotFound):
        await booking.cancel(conn, appointment_id=uuid.uuid4(), patient_id=clinic.maria, now=NOW)


async def test_cancelling_records_when_and_only_works_once_and_before_the_start(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    appointment = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    with pytest.raises(InvalidStatusChange):
        await booking.cancel(conn, appointment_id=appointment.id, patient_id=clinic.maria, now=local(TUESDAY, 8, 5))
    cancelled = await booking.cancel(conn, appointment_id=appointment.id, patient_id=clinic.maria, now=NOW)
    assert (cancelled.status, cancelled.cancelled_at) == (AppointmentStatus.CANCELLED, NOW)
    with pytest.raises(InvalidStatusChange):
        await booking.cancel(conn, appointment_id=appointment.id, patient_id=clinic.maria, now=NOW)


async def test_staff_record_outcomes_only_once_an_appointment_has_started(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    seen = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    missed = await booking.book(
        conn, patient_id=clinic.juan, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 8, 20), now=NOW, tz=ZONE
    )
    with pytest.raises(InvalidStatusChange):
        await booking.set_outcome(conn, appointment_id=seen.id, status=AppointmentStatus.COMPLETED, now=NOW)
    after = local(TUESDAY, 9)
    done = await booking.set_outcome(conn, appointment_id=seen.id, status=AppointmentStatus.COMPLETED, now=after)
    absent = await booking.set_outcome(conn, appointment_id=missed.id, status=AppointmentStatus.NO_SHOW, now=after)
    assert (done.status, absent.status) == (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
    with pytest.raises(ValueError, match="outcome"):
        await booking.set_outcome(conn, appointment_id=seen.id, status=AppointmentStatus.CANCELLED, now=after)
    with pytest.raises(AppointmentNotFound):
        await booking.set_outcome(conn, appointment_id=uuid.uuid4(), status=AppointmentStatus.NO_SHOW, now=after)


async def test_a_patients_upcoming_and_a_doctors_day_follow_the_clinic_calendar(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    # An evening clinic on Monday: 20:00 in La Paz is already Tuesday 00:00 UTC.
    await repository.upsert_schedule_override(
        conn,
        override=ScheduleOverride(
            on_date=MONDAY, doctor_id=clinic.mamani, start=time(20), end=time(21), reason="guardia"
        ),
    )
    evening = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.mamani, starts_at=local(MONDAY, 20), now=NOW, tz=ZONE
    )
    tuesday = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.mamani, starts_at=local(TUESDAY, 8), now=NOW, tz=ZONE
    )
    dropped = await booking.book(
        conn, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
    )
    await booking.cancel(conn, appointment_id=dropped.id, patient_id=clinic.maria, now=NOW)
    assert evening.starts_at == datetime(2026, 6, 2, 0, 0, tzinfo=UTC)

    upcoming = await booking.upcoming_for_patient(conn, patient_id=clinic.maria, now=NOW)
    assert [a.id for a in upcoming] == [evening.id, tuesday.id]
    assert await booking.upcoming_for_patient(conn, patient_id=clinic.maria, now=local(MONDAY, 21)) == [tuesday]

    assert [a.id for a in await booking.day_for_doctor(conn, doctor_id=clinic.mamani, day=MONDAY, tz=ZONE)] == [
        evening.id
    ]
    assert [a.id for a in await booking.day_for_doctor(conn, doctor_id=clinic.mamani, day=TUESDAY, tz=ZONE)] == [
        tuesday.id
    ]
    quispe_tuesday = await booking.day_for_doctor(
        conn, doctor_id=clinic.quispe, day=TUESDAY, include_cancelled=True, tz=ZONE
    )
    assert [a.id for a in quispe_tuesday] == [dropped.id]
    assert await booking.day_for_doctor(conn, doctor_id=clinic.quispe, day=TUESDAY, tz=ZONE) == []


async def test_a_patient_at_the_limit_of_upcoming_appointments_cannot_book_another(
    conn: asyncpg.Connection, clinic: Clinic
) -> None:
    for hour in (9, 10):
        await booking.book(
            conn,
            patient_id=clinic.maria,
            doctor_id=clinic.quispe,
            starts_at=local(TUESDAY, hour),
            now=NOW,
            max_upcoming=2,
            tz=ZONE,
        )

    with pytest.raises(TooManyUpcoming) as refused:
        await booking.book(
            conn,
            patient_id=clinic.maria,
            doctor_id=clinic.quispe,
            starts_at=local(TUESDAY, 11),
            now=NOW,
            max_upcoming=2,
            tz=ZONE,
        )

    assert refused.value.limit == 2
    # Past, cancelled and other patients' appointments do not count.
    await booking.book(
        conn,
        patient_id=clinic.juan,
        doctor_id=clinic.quispe,
        starts_at=local(TUESDAY, 11),
        now=NOW,
        max_upcoming=2,
        tz=ZONE,
    )
    [first, _] = await booking.upcoming_for_patient(conn, patient_id=clinic.maria, now=NOW)
    await booking.cancel(conn, appointment_id=first.id, patient_id=clinic.maria, now=NOW)
    await booking.book(
        conn,
        patient_id=clinic.maria,
        doctor_id=clinic.quispe,
        starts_at=local(TUESDAY, 14),
        now=NOW,
        max_upcoming=2,
        tz=ZONE,
    )
    later = local(TUESDAY, 12)  # the 10:00 one has started by then
    await booking.book(
        conn,
        patient_id=clinic.maria,
        doctor_id=clinic.quispe,
        starts_at=local(TUESDAY, 15),
        now=later,
        max_upcoming=2,
        tz=ZONE,
    )


async def test_two_bookings_racing_at_the_limit_of_upcoming_appointments_one_is_refused(
    database_url: str, clinic: Clinic
) -> None:
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await booking.book(
            first, patient_id=clinic.maria, doctor_id=clinic.quispe, starts_at=local(TUESDAY, 9), now=NOW, tz=ZONE
        )
        transaction = first.transaction()
        await transaction.start()
        await booking.book(
            first,
            patient_id=clinic.maria,
            doctor_id=clinic.quispe,
            starts_at=local(TUESDAY, 10),
            now=NOW,
            max_upcoming=2,
            tz=ZONE,
        )
        racing = asyncio.create_task(
            booking.book(
                second,
                patient_id=clinic.maria,
                doctor_id=clinic.mamani,
                starts_at=local(TUESDAY, 11),
                now=NOW,
                max_upcoming=2,
                tz=ZONE,
            )
        )
        # The second booking counts only after the first commits: it waits on the patient's row.
        await _until_waiting_on_a_lock(first, second.get_server_pid())
        await transaction.commit()
        [outcome] = await asyncio.wait_for(asyncio.gather(racing, return_exceptions=True), timeout=30)

        assert isinstance(outcome, TooManyUpcoming), outcome
        booked = await first.fetchval(
            "SELECT count(*) FROM appointments WHERE patient_id = $1 AND status = 'booked'", clinic.maria
        )
        assert booked == 2
    finally:
        await first.close()
        await second.close()
