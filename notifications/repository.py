"""The SQL of reminders (migration 0021): planning rows, dropping stale ones, claiming and recording sends.

Due-ness is judged by the service's clock (passed as `now`); claims are leases in the database's own time, as they
are about which copy is alive, not about the clinic's calendar.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from appointments.repository.connection import Connection
from notifications.planning import Planned

Final = Literal["sent", "failed", "skipped", "dropped"]


@dataclass(frozen=True)
class Candidate:
    """A booked appointment whose reminders for its current start are not all planned."""

    appointment_id: uuid.UUID
    starts_at: datetime
    booked_at: datetime


async def unplanned(conn: Connection, *, now: datetime, until: datetime, hours: Sequence[int]) -> list[Candidate]:
    """Booked appointments starting in (now, until] lacking a row for one of `hours` at their current start (a row
    dropped when the appointment moved away does not count: it may have moved back)."""
    rows = await conn.fetch(
        """
        SELECT a.id, a.starts_at, a.updated_at FROM appointments a
        WHERE a.status = 'booked' AND a.starts_at > $1 AND a.starts_at <= $2
          AND (SELECT count(*) FROM reminders r
               WHERE r.appointment_id = a.id AND r.planned_start = a.starts_at AND r.hours_before = ANY($3::int[])
                 AND r.status <> 'dropped')
              < cardinality($3::int[])
        ORDER BY a.starts_at
        """,
        now,
        until,
        list(hours),
    )
    # updated_at is the booking's time, or the move's: the last change before these reminders were planned.
    return [Candidate(r["id"], r["starts_at"], r["updated_at"]) for r in rows]


async def insert_planned(
    conn: Connection, *, appointment_id: uuid.UUID, planned_start: datetime, plans: Sequence[Planned]
) -> int:
    """Store the plans not stored yet (another copy may have planned them first); how many were new.

    A row dropped when the appointment moved away is planned afresh when it moves back to that start.
    """
    inserted = 0
    for plan in plans:
        status = "pending" if plan.skipped is None else "skipped"
        row = await conn.fetchval(
            """
            INSERT INTO reminders (appointment_id, hours_before, planned_start, due_at, status, reason)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (appointment_id, hours_before, planned_start) DO UPDATE
                SET due_at = EXCLUDED.due_at, status = EXCLUDED.status, reason = EXCLUDED.reason,
                    claimed_until = NULL, updated_at = now()
                WHERE reminders.status = 'dropped'
            RETURNING id
            """,
            appointment_id,
            plan.hours_before,
            planned_start,
            plan.due_at,
            status,
            plan.skipped,
        )
        inserted += row is not None
    return inserted


async def drop_stale(conn: Connection, *, now: datetime) -> list[str]:
    """Drop pending reminders of appointments cancelled (or no longer booked) or moved; the reasons, one per row.

    A reminder being posted right now (claimed) is left to its copy, which finds the change itself.
    """
    rows = await conn.fetch(
        """
        UPDATE reminders r
        SET status = 'dropped', updated_at = $1,
            reason = CASE WHEN a.status <> 'booked' THEN 'cancelled' ELSE 'moved' END
        FROM appointments a
        WHERE a.id = r.appointment_id AND r.status = 'pending'
          AND (a.status <> 'booked' OR a.starts_at <> r.planned_start)
          AND (r.claimed_until IS NULL OR r.claimed_until < now())
        RETURNING r.reason
        """,
        now,
    )
    return [r["reason"] for r in rows]


async def due(conn: Connection, *, now: datetime, limit: int) -> list[int]:
    """Pending reminders whose time has come and that no copy is posting, oldest first."""
    rows = await conn.fetch(
        """
        SELECT id FROM reminders
        WHERE status = 'pending' AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY due_at LIMIT $2
        """,
        now,
        limit,
    )
    return [r["id"] for r in rows]


async def oldest_due_at(conn: Connection, *, now: datetime) -> datetime | None:
    """When the longest-waiting due reminder was due (the queue's lag)."""
    value: datetime | None = await conn.fetchval(
        "SELECT min(due_at) FROM reminders WHERE status = 'pending' AND due_at <= $1", now
    )
    return value


@dataclass(frozen=True)
class Locked:
    """A reminder row locked for this transaction, with everything needed to decide about it and to send it."""

    id: int
    status: str
    hours_before: int
    planned_start: datetime
    attempts: int
    claimed_until: datetime | None
    busy: bool
    appointment_id: uuid.UUID
    appointment_status: str
    starts_at: datetime
    full_name: str
    # The holder's, when the patient is a family member reached on the holder's phone (the holder reads it).
    holder_name: str | None
    phone: str | None
    consent: bool | None
    doctor_name: str
    specialty_name: str


async def lock(conn: Connection, *, reminder_id: int) -> Locked | None:
    """The reminder, its appointment and whom it goes to, the row locked until the transaction ends.

    A family member is reached on their holder's phone, with the holder's consent.
    """
    row = await conn.fetchrow(
        """
        SELECT r.id, r.status, r.hours_before, r.planned_start, r.attempts, r.claimed_until,
               coalesce(r.claimed_until > now(), false) AS busy,
               a.id AS appointment_id, a.status AS appointment_status, a.starts_at,
               p.full_name, CASE WHEN p.phone IS NULL THEN h.full_name END AS holder_name,
               coalesce(p.phone, h.phone) AS phone,
               CASE WHEN p.holder_id IS NULL THEN p.reminders_consent ELSE h.reminders_consent END AS consent,
               d.full_name AS doctor_name, s.name AS specialty_name
        FROM reminders r
        JOIN appointments a ON a.id = r.appointment_id
        JOIN patients p ON p.id = a.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        JOIN doctors d ON d.id = a.doctor_id
        JOIN specialties s ON s.id = d.specialty_id
        WHERE r.id = $1
        FOR UPDATE OF r
        """,
        reminder_id,
    )
    return None if row is None else Locked(**dict(row))


async def claim(conn: Connection, *, reminder_id: int, lease_seconds: float) -> int:
    """Claim a locked reminder for one post: no other copy posts it before the lease ends. Its attempt number."""
    attempts: int = await conn.fetchval(
        """
        UPDATE reminders SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
        WHERE id = $1 RETURNING attempts
        """,
        reminder_id,
        lease_seconds,
    )
    return attempts


async def postpone(conn: Connection, *, reminder_id: int, due_at: datetime, now: datetime) -> None:
    await conn.execute(
        "UPDATE reminders SET due_at = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
        reminder_id,
        due_at,
        now,
    )


async def record_sent(conn: Connection, *, reminder_id: int, wamid: str | None, now: datetime) -> None:
    await conn.execute(
        """
        UPDATE reminders SET status = 'sent', sent_wamid = $2, sent_at = $3, updated_at = $3, claimed_until = NULL
        WHERE id = $1 AND status = 'pending'
        """,
        reminder_id,
        wamid,
        now,
    )


async def record_failed_attempt(
    conn: Connection, *, reminder_id: int, error: str, hold_seconds: float, now: datetime
) -> None:
    """A post that failed: no copy posts it again for `hold_seconds` (the retry's wait)."""
    await conn.execute(
        """
        UPDATE reminders SET last_error = $2, claimed_until = now() + make_interval(secs => $3), updated_at = $4
        WHERE id = $1 AND status = 'pending'
        """,
        reminder_id,
        error,
        hold_seconds,
        now,
    )


async def finish(
    conn: Connection, *, reminder_id: int, status: Final, reason: str, now: datetime, error: str | None = None
) -> bool:
    """End a pending reminder unsent (failed, skipped or dropped, and why); False if it had ended already."""
    result: str = await conn.execute(
        """
        UPDATE reminders SET status = $2, reason = $3, updated_at = $4, claimed_until = NULL,
                             last_error = coalesce($5, last_error)
        WHERE id = $1 AND status = 'pending'
        """,
        reminder_id,
        status,
        reason,
        now,
        error,
    )
    return result.endswith(" 1")


async def confirm_sent(conn: Connection, *, reminder_id: int, wamid: str) -> bool:
    """Meta says it sent the reminder (its status callback); True when that is news. A reminder given up on as
    failed after a post whose answer was lost is sent after all."""
    updated = await conn.fetchval(
        """
        UPDATE reminders SET status = 'sent', reason = NULL, sent_wamid = $2, sent_at = now(), updated_at = now(),
                             claimed_until = NULL
        WHERE id = $1 AND status IN ('pending', 'failed')
        RETURNING id
        """,
        reminder_id,
        wamid,
    )
    return updated is not None
