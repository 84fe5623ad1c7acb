"""SQL for when doctors work: weekly blocks, dated overrides, and the appointments that make them busy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from appointments.repository.connection import Connection
from appointments.schemas import Busy, ScheduleBlock, ScheduleOverride


async def replace_weekly_schedule(conn: Connection, *, doctor_id: int, blocks: Sequence[ScheduleBlock]) -> None:
    """Make `blocks` the doctor's whole week (run it inside a transaction)."""
    if any(block.doctor_id != doctor_id for block in blocks):
        raise ValueError("every block must belong to doctor_id")
    await conn.execute("DELETE FROM doctor_schedules WHERE doctor_id = $1", doctor_id)
    await conn.executemany(
        """
        INSERT INTO doctor_schedules (doctor_id, weekday, start_time, end_time, slot_minutes)
        VALUES ($1, $2, $3, $4, $5)
        """,
        [(b.doctor_id, b.weekday, b.start, b.end, b.slot_minutes) for b in blocks],
    )


async def upsert_schedule_override(conn: Connection, *, override: ScheduleOverride) -> int:
    """Create or update an override (keyed by date, doctor or clinic, and start); return its id."""
    override_id: int = await conn.fetchval(
        """
        INSERT INTO schedule_overrides (on_date, doctor_id, start_time, end_time, slot_minutes, reason)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT ON CONSTRAINT schedule_overrides_unique DO UPDATE
            SET end_time = EXCLUDED.end_time, slot_minutes = EXCLUDED.slot_minutes, reason = EXCLUDED.reason
        RETURNING id
        """,
        override.on_date,
        override.doctor_id,
        override.start,
        override.end,
        override.slot_minutes,
        override.reason,
    )
    return override_id


async def weekly_schedules(conn: Connection, *, doctor_ids: Sequence[int]) -> list[ScheduleBlock]:
    """The weekly blocks of these doctors."""
    rows = await conn.fetch(
        """
        SELECT doctor_id, weekday, start_time, end_time, slot_minutes
        FROM doctor_schedules WHERE doctor_id = ANY($1::bigint[])
        ORDER BY doctor_id, weekday, start_time
        """,
        list(doctor_ids),
    )
    return [ScheduleBlock.from_row(r) for r in rows]


async def schedule_overrides(
    conn: Connection, *, doctor_ids: Sequence[int], first_day: date, last_day: date
) -> list[ScheduleOverride]:
    """Clinic-wide overrides and those of these doctors, dates `first_day`..`last_day` inclusive."""
    rows = await conn.fetch(
        """
        SELECT on_date, doctor_id, start_time, end_time, slot_minutes, reason
        FROM schedule_overrides
        WHERE on_date BETWEEN $2 AND $3 AND (doctor_id IS NULL OR doctor_id = ANY($1::bigint[]))
        ORDER BY on_date, doctor_id NULLS FIRST, start_time
        """,
        list(doctor_ids),
        first_day,
        last_day,
    )
    return [ScheduleOverride.from_row(r) for r in rows]


async def busy_between(
    conn: Connection, *, doctor_ids: Sequence[int], patient_id: int | None, starts: datetime, ends: datetime
) -> list[Busy]:
    """Non-cancelled appointments overlapping [starts, ends) of these doctors or of the patient, and freed slots
    held for a waitlisted patient (an open waitlist offer, migration 0022): nobody else is offered those."""
    rows = await conn.fetch(
        """
        SELECT starts_at, ends_at, doctor_id, patient_id FROM appointments
        WHERE status <> 'cancelled' AND tstzrange(starts_at, ends_at) && tstzrange($3, $4)
          AND (doctor_id = ANY($1::bigint[]) OR patient_id = $2)
        UNION ALL
        SELECT o.starts_at, o.ends_at, o.doctor_id, e.patient_id FROM waitlist_offers o
        JOIN waitlist_entries e ON e.id = o.entry_id
        WHERE o.status = 'offered' AND tstzrange(o.starts_at, o.ends_at) && tstzrange($3, $4)
          AND (o.doctor_id = ANY($1::bigint[]) OR e.patient_id = $2)
        ORDER BY starts_at
        """,
        list(doctor_ids),
        patient_id,
        starts,
        ends,
    )
    return [
        Busy(starts_at=r["starts_at"], ends_at=r["ends_at"], doctor_id=r["doctor_id"], patient_id=r["patient_id"])
        for r in rows
    ]


async def held_for_another(
    conn: Connection, *, doctor_id: int, starts: datetime, ends: datetime, patient_id: int
) -> bool:
    """Whether an open waitlist offer holds the doctor's [starts, ends) for a patient other than `patient_id`."""
    held: bool = await conn.fetchval(
        """
        SELECT EXISTS (
            SELECT 1 FROM waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id
            WHERE o.status = 'offered' AND o.doctor_id = $1 AND e.patient_id <> $4
              AND tstzrange(o.starts_at, o.ends_at) && tstzrange($2, $3)
        )
        """,
        doctor_id,
        starts,
        ends,
        patient_id,
    )
    return held
