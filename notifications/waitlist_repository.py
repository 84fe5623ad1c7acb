"""The SQL of waitlist offers (migration 0022): freed slots, the next patient in line, claiming and recording sends.

A freed slot is a cancelled appointment's time, still ahead, that no appointment holds now and that no offer holds
or has taken. Its next patient in line is the oldest waiting entry for that doctor (or that doctor's specialty)
whose days include the slot's, made before the cancellation, whose patient may be messaged, holds nothing that
clashes, holds no other offer right now and was not offered this slot before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from appointments.repository.connection import Connection


@dataclass(frozen=True)
class FreedSlot:
    doctor_id: int
    specialty_id: int
    starts_at: datetime
    ends_at: datetime
    cancelled_at: datetime
    # Whose appointment it was: not offered back to them.
    freed_by: int


async def freed_slots(conn: Connection, *, after: datetime, limit: int) -> list[FreedSlot]:
    """Freed slots starting after `after` that nobody holds or is being offered, soonest first: the times of
    cancelled appointments and those moved appointments left."""
    rows = await conn.fetch(
        """
        WITH freed AS (
            SELECT doctor_id, starts_at, ends_at, cancelled_at AS freed_at, patient_id
            FROM appointments WHERE status = 'cancelled' AND starts_at > $1
            UNION ALL
            SELECT m.doctor_id, m.starts_at, m.ends_at, m.moved_at, a.patient_id
            FROM moved_from_slots m JOIN appointments a ON a.id = m.appointment_id
            WHERE m.starts_at > $1
        )
        SELECT DISTINCT ON (c.starts_at, c.doctor_id)
               c.doctor_id, d.specialty_id, c.starts_at, c.ends_at, c.freed_at AS cancelled_at,
               c.patient_id AS freed_by
        FROM freed c
        JOIN doctors d ON d.id = c.doctor_id
        WHERE true
          AND NOT EXISTS (
              SELECT 1 FROM appointments b
              WHERE b.doctor_id = c.doctor_id AND b.status <> 'cancelled'
                AND tstzrange(b.starts_at, b.ends_at) && tstzrange(c.starts_at, c.ends_at))
          AND NOT EXISTS (
              SELECT 1 FROM waitlist_offers o
              WHERE o.doctor_id = c.doctor_id AND o.starts_at = c.starts_at AND o.status IN ('offered', 'accepted'))
        ORDER BY c.starts_at, c.doctor_id, c.freed_at DESC
        LIMIT $2
        """,
        after,
        limit,
    )
    return [FreedSlot(**dict(r)) for r in rows]


async def offer_next(
    conn: Connection, *, slot: FreedSlot, tz_name: str, now: datetime, hold_until: datetime
) -> int | None:
    """Offer `slot` to the next patient in line; the offer's id, or None when nobody in line may have it (or
    another copy offered it first: the partial unique index refuses a second offer)."""
    offer_id: int | None = await conn.fetchval(
        """
        WITH next AS (
            SELECT e.id FROM waitlist_entries e
            JOIN patients p ON p.id = e.patient_id
            LEFT JOIN patients h ON h.id = p.holder_id
            WHERE e.status = 'waiting'
              AND (e.doctor_id = $1 OR (e.doctor_id IS NULL AND e.specialty_id = $2))
              AND ($3 AT TIME ZONE $5)::date BETWEEN e.first_day AND e.last_day
              AND (e.weekdays IS NULL OR extract(isodow FROM $3 AT TIME ZONE $5)::smallint = ANY (e.weekdays))
              AND e.created_at < $6 AND e.patient_id <> $7
              AND (CASE WHEN p.holder_id IS NULL THEN p.reminders_consent ELSE h.reminders_consent END) IS TRUE
              AND coalesce(p.phone, h.phone) IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM appointments a
                  WHERE a.patient_id = e.patient_id AND a.status <> 'cancelled'
                    AND tstzrange(a.starts_at, a.ends_at) && tstzrange($3, $4))
              AND NOT EXISTS (
                  SELECT 1 FROM waitlist_offers o
                  WHERE o.entry_id = e.id AND o.doctor_id = $1 AND o.starts_at = $3)
              AND NOT EXISTS (
                  SELECT 1 FROM waitlist_offers o JOIN waitlist_entries oe ON oe.id = o.entry_id
                  WHERE oe.patient_id = e.patient_id AND o.status = 'offered')
            ORDER BY e.created_at, e.id
            LIMIT 1
        )
        INSERT INTO waitlist_offers (entry_id, doctor_id, starts_at, ends_at, offered_at, hold_until, updated_at)
        SELECT next.id, $1, $3, $4, $8, $9, $8 FROM next
        ON CONFLICT DO NOTHING
        RETURNING id
        """,
        slot.doctor_id,
        slot.specialty_id,
        slot.starts_at,
        slot.ends_at,
        tz_name,
        slot.cancelled_at,
        slot.freed_by,
        now,
        hold_until,
    )
    return offer_id


async def expire_holds(conn: Connection, *, now: datetime) -> int:
    """Offers whose hold ran out unanswered (and that no copy is posting) expire; how many."""
    result: str = await conn.execute(
        """
        UPDATE waitlist_offers SET status = 'expired', updated_at = $1
        WHERE status = 'offered' AND hold_until <= $1 AND (claimed_until IS NULL OR claimed_until < now())
        """,
        now,
    )
    return int(result.split()[-1])


async def end_past_entries(conn: Connection, *, today: date) -> None:
    """Entries whose last wanted day (clinic time) has passed end."""
    await conn.execute(
        "UPDATE waitlist_entries SET status = 'ended', updated_at = now() WHERE status = 'waiting' AND last_day < $1",
        today,
    )


async def unsent(conn: Connection, *, limit: int) -> list[int]:
    """Offers made and not sent yet, that no copy is posting, oldest first."""
    rows = await conn.fetch(
        """
        SELECT id FROM waitlist_offers
        WHERE status = 'offered' AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY offered_at, id LIMIT $1
        """,
        limit,
    )
    return [r["id"] for r in rows]


@dataclass(frozen=True)
class LockedOffer:
    """An offer row locked for this transaction, with what is needed to decide about it and to send it."""

    id: int
    status: str
    sent: bool
    busy: bool
    claimed_until: datetime | None
    doctor_id: int
    starts_at: datetime
    ends_at: datetime
    patient_id: int
    full_name: str
    # The holder's, when the patient is a family member reached on the holder's phone (the holder reads it).
    holder_name: str | None
    phone: str | None
    consent: bool | None
    doctor_name: str
    specialty_name: str
    slot_taken: bool


async def lock(conn: Connection, *, offer_id: int) -> LockedOffer | None:
    """The offer, whom it goes to and whether its slot was taken meanwhile, the row locked until the transaction
    ends. A family member is reached on their holder's phone, with the holder's consent."""
    row = await conn.fetchrow(
        """
        SELECT o.id, o.status, o.sent_at IS NOT NULL AS sent, coalesce(o.claimed_until > now(), false) AS busy,
               o.claimed_until, o.doctor_id, o.starts_at, o.ends_at,
               p.id AS patient_id, p.full_name, CASE WHEN p.phone IS NULL THEN h.full_name END AS holder_name,
               coalesce(p.phone, h.phone) AS phone,
               CASE WHEN p.holder_id IS NULL THEN p.reminders_consent ELSE h.reminders_consent END AS consent,
               d.full_name AS doctor_name, s.name AS specialty_name,
               EXISTS (
                   SELECT 1 FROM appointments b
                   WHERE b.doctor_id = o.doctor_id AND b.status <> 'cancelled'
                     AND tstzrange(b.starts_at, b.ends_at) && tstzrange(o.starts_at, o.ends_at)) AS slot_taken
        FROM waitlist_offers o
        JOIN waitlist_entries e ON e.id = o.entry_id
        JOIN patients p ON p.id = e.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        JOIN doctors d ON d.id = o.doctor_id
        JOIN specialties s ON s.id = d.specialty_id
        WHERE o.id = $1
        FOR UPDATE OF o
        """,
        offer_id,
    )
    return None if row is None else LockedOffer(**dict(row))


async def claim(conn: Connection, *, offer_id: int, lease_seconds: float) -> int:
    """Claim a locked offer for one post; its attempt number."""
    attempts: int = await conn.fetchval(
        """
        UPDATE waitlist_offers SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
        WHERE id = $1 RETURNING attempts
        """,
        offer_id,
        lease_seconds,
    )
    return attempts


async def record_sent(
    conn: Connection, *, offer_id: int, wamid: str | None, now: datetime, hold_until: datetime
) -> None:
    """The offer left: the hold counts from now."""
    await conn.execute(
        """
        UPDATE waitlist_offers SET sent_at = $3, sent_wamid = $2, hold_until = $4, updated_at = $3,
                                   claimed_until = NULL
        WHERE id = $1 AND status = 'offered'
        """,
        offer_id,
        wamid,
        now,
        hold_until,
    )


async def record_failed_attempt(
    conn: Connection, *, offer_id: int, error: str, hold_seconds: float, now: datetime
) -> None:
    await conn.execute(
        """
        UPDATE waitlist_offers SET last_error = $2, claimed_until = now() + make_interval(secs => $3), updated_at = $4
        WHERE id = $1 AND status = 'offered'
        """,
        offer_id,
        error,
        hold_seconds,
        now,
    )


async def withdraw(conn: Connection, *, offer_id: int, reason: str, now: datetime, error: str | None = None) -> bool:
    """End an offer that cannot stand (the slot went, no consent, not sendable); the slot passes on."""
    result: str = await conn.execute(
        """
        UPDATE waitlist_offers SET status = 'withdrawn', reason = $2, updated_at = $3, claimed_until = NULL,
                                   last_error = coalesce($4, last_error)
        WHERE id = $1 AND status = 'offered'
        """,
        offer_id,
        reason,
        now,
        error,
    )
    return result.endswith(" 1")


async def confirm_sent(conn: Connection, *, offer_id: int, wamid: str) -> bool:
    """Meta says it sent the offer (its status callback); True when that is news. Its hold keeps counting from
    when the offer was made."""
    updated = await conn.fetchval(
        """
        UPDATE waitlist_offers SET sent_at = now(), sent_wamid = $2, updated_at = now(), claimed_until = NULL
        WHERE id = $1 AND status = 'offered' AND sent_at IS NULL
        RETURNING id
        """,
        offer_id,
        wamid,
    )
    return updated is not None
