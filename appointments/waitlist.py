"""The waitlist as the dialog sees it (migration 0022): joining, listing and leaving, and answering an offer.

Offers are made and sent by the notification service (notifications/waitlist.py); here a patient takes or declines
one. Entries and offers are a family's: the phone's holder manages their own and their family members'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from appointments.repository.connection import Connection


@dataclass(frozen=True)
class Entry:
    """A waiting entry, as listed to the patient."""

    id: int
    patient_id: int
    for_name: str | None
    doctor_name: str | None
    specialty_name: str
    first_day: date
    last_day: date
    # The only ISO weekdays asked for (1 is Monday), or None for any day.
    weekdays: list[int] | None = None


async def join(
    conn: Connection,
    *,
    patient_id: int,
    doctor_id: int | None,
    specialty_code: str | None,
    first_day: date,
    last_day: date,
    now: datetime,
    weekdays: Sequence[int] = (),
) -> bool:
    """Put the patient on the list for the doctor (or the specialty's doctors) between the days, on the ISO
    `weekdays` only when given; False when they wait for it already on the same weekdays (the days then widened to
    cover both)."""
    days = sorted(set(weekdays)) or None
    widened = await conn.fetchval(
        """
        UPDATE waitlist_entries e
        SET first_day = least(e.first_day, $4), last_day = greatest(e.last_day, $5), updated_at = $6
        FROM specialties s
        WHERE e.patient_id = $1 AND e.status = 'waiting' AND e.doctor_id IS NOT DISTINCT FROM $2
          AND s.id = e.specialty_id
          AND ($2::bigint IS NOT NULL OR s.code = $3)
          AND e.weekdays IS NOT DISTINCT FROM $7::smallint[]
        RETURNING e.id
        """,
        patient_id,
        doctor_id,
        specialty_code,
        first_day,
        last_day,
        now,
        days,
    )
    if widened is not None:
        return False
    await conn.execute(
        """
        INSERT INTO waitlist_entries
            (patient_id, doctor_id, specialty_id, first_day, last_day, weekdays, created_at, updated_at)
        SELECT $1, $2, coalesce((SELECT specialty_id FROM doctors WHERE id = $2),
                                (SELECT id FROM specialties WHERE code = $3)), $4, $5, $7::smallint[], $6, $6
        """,
        patient_id,
        doctor_id,
        specialty_code,
        first_day,
        last_day,
        now,
        days,
    )
    return True


async def waiting(conn: Connection, *, holder_id: int, today: date) -> list[Entry]:
    """The holder's and their family members' entries still waiting, oldest first."""
    rows = await conn.fetch(
        """
        SELECT e.id, e.patient_id, CASE WHEN p.holder_id IS NULL THEN NULL ELSE p.full_name END AS for_name,
               d.full_name AS doctor_name, s.name AS specialty_name, e.first_day, e.last_day, e.weekdays
        FROM waitlist_entries e
        JOIN patients p ON p.id = e.patient_id
        JOIN specialties s ON s.id = e.specialty_id
        LEFT JOIN doctors d ON d.id = e.doctor_id
        WHERE e.status = 'waiting' AND e.last_day >= $2 AND (p.id = $1 OR p.holder_id = $1)
        ORDER BY e.created_at, e.id
        """,
        holder_id,
        today,
    )
    return [Entry(**dict(r)) for r in rows]


async def leave(conn: Connection, *, holder_id: int, now: datetime) -> int:
    """The holder and their family leave every list; their open offers are declined. How many entries ended."""
    await conn.execute(
        """
        UPDATE waitlist_offers o SET status = 'declined', reason = 'left', updated_at = $2
        FROM waitlist_entries e JOIN patients p ON p.id = e.patient_id
        WHERE o.entry_id = e.id AND o.status = 'offered' AND (p.id = $1 OR p.holder_id = $1)
        """,
        holder_id,
        now,
    )
    result: str = await conn.execute(
        """
        UPDATE waitlist_entries e SET status = 'left', updated_at = $2
        FROM patients p
        WHERE p.id = e.patient_id AND e.status = 'waiting' AND (p.id = $1 OR p.holder_id = $1)
        """,
        holder_id,
        now,
    )
    return int(result.split()[-1])


@dataclass(frozen=True)
class Offer:
    """An offer made to the phone's family, locked for the transaction; with why it ended (`reason`) and whether its
    entry still waits (`entry_status`)."""

    id: int
    entry_id: int
    patient_id: int
    doctor_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    reason: str | None
    hold_until: datetime
    entry_status: str


async def offer_for(conn: Connection, *, offer_id: int | None, holder_id: int) -> Offer | None:
    """The offer `offer_id` (None: the family's newest sent one still offered) if it was made to the holder or a
    family member of theirs, locked until the transaction ends."""
    row = await conn.fetchrow(
        """
        SELECT o.id, o.entry_id, e.patient_id, o.doctor_id, o.starts_at, o.ends_at, o.status, o.reason,
               o.hold_until, e.status AS entry_status
        FROM waitlist_offers o
        JOIN waitlist_entries e ON e.id = o.entry_id
        JOIN patients p ON p.id = e.patient_id
        WHERE (p.id = $2 OR p.holder_id = $2)
          AND (o.id = $1 OR ($1::bigint IS NULL AND o.status = 'offered' AND o.sent_at IS NOT NULL))
        ORDER BY o.offered_at DESC
        LIMIT 1
        FOR UPDATE OF o
        """,
        offer_id,
        holder_id,
    )
    return None if row is None else Offer(**dict(row))


async def open_offer(conn: Connection, *, phone: str, now: datetime, sent_after: datetime | None = None) -> int | None:
    """The newest sent offer the phone's family holds still within its hold (a bare "sí" may answer it), if any;
    with `sent_after`, only one sent after that time."""
    found: int | None = await conn.fetchval(
        """
        SELECT o.id FROM waitlist_offers o
        JOIN waitlist_entries e ON e.id = o.entry_id
        JOIN patients p ON p.id = e.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        WHERE o.status = 'offered' AND o.sent_at IS NOT NULL AND o.hold_until > $2
          AND coalesce(p.phone, h.phone) = $1 AND ($3::timestamptz IS NULL OR o.sent_at > $3)
        ORDER BY o.sent_at DESC, o.id DESC
        LIMIT 1
        """,
        phone,
        now,
        sent_after,
    )
    return found


@dataclass(frozen=True)
class HeldOffer:
    """An open offer as the patient is reminded of it: the slot, until when it is held, and whom it is for (None:
    the phone's holder)."""

    starts_at: datetime
    hold_until: datetime
    for_name: str | None


async def held_offer(conn: Connection, *, phone: str, now: datetime) -> HeldOffer | None:
    """The newest sent offer the phone's family holds still within its hold, read without a lock, if any."""
    row = await conn.fetchrow(
        """
        SELECT o.starts_at, o.hold_until, CASE WHEN p.holder_id IS NULL THEN NULL ELSE p.full_name END AS for_name
        FROM waitlist_offers o
        JOIN waitlist_entries e ON e.id = o.entry_id
        JOIN patients p ON p.id = e.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        WHERE o.status = 'offered' AND o.sent_at IS NOT NULL AND o.hold_until > $2 AND coalesce(p.phone, h.phone) = $1
        ORDER BY o.sent_at DESC, o.id DESC
        LIMIT 1
        """,
        phone,
        now,
    )
    return None if row is None else HeldOffer(**dict(row))


async def answer(conn: Connection, *, offer: Offer, status: str, now: datetime, reason: str | None = None) -> None:
    """Record the offer accepted, declined or withdrawn; an accepted one ends its entry as booked."""
    await conn.execute(
        "UPDATE waitlist_offers SET status = $2, reason = $3, updated_at = $4 WHERE id = $1 AND status = 'offered'",
        offer.id,
        status,
        reason,
        now,
    )
    if status == "accepted":
        await conn.execute(
            "UPDATE waitlist_entries SET status = 'booked', updated_at = $2 WHERE id = $1", offer.entry_id, now
        )


@dataclass(frozen=True)
class WaitingForStaff:
    """A waiting entry as reception sees it: in line order, with its place in its line (`position`, 1 is offered
    the next slot that fits) and the slot it is being offered, if any."""

    id: int
    position: int
    full_name: str
    phone: str | None
    doctor_id: int | None
    doctor_name: str | None
    specialty_name: str
    first_day: date
    last_day: date
    # The only ISO weekdays asked for (1 is Monday), or None for any day.
    weekdays: list[int] | None
    created_at: datetime
    offered_starts_at: datetime | None
    offered_until: datetime | None


async def waiting_for_staff(conn: Connection, *, doctor_id: int | None, today: date) -> list[WaitingForStaff]:
    """The entries still waiting (their last day not past), first in line first; with `doctor_id`, those for that
    doctor and those for any doctor of the doctor's specialty: that doctor's line, which is what `position` counts.

    Without it, each entry's place is in its own line, as the notification service serves them: an entry for a
    doctor after those for that doctor and those for any doctor of the specialty; one for any doctor of a specialty
    after every entry of that specialty (each of them may be offered a slot of it first).
    """
    rows = await conn.fetch(
        """
        SELECT e.id, e.specialty_id, p.full_name, coalesce(p.phone, h.phone) AS phone, e.doctor_id,
               d.full_name AS doctor_name, s.name AS specialty_name, e.first_day, e.last_day, e.weekdays,
               e.created_at,
               o.starts_at AS offered_starts_at, o.hold_until AS offered_until
        FROM waitlist_entries e
        JOIN patients p ON p.id = e.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        LEFT JOIN doctors d ON d.id = e.doctor_id
        JOIN specialties s ON s.id = e.specialty_id
        LEFT JOIN waitlist_offers o ON o.entry_id = e.id AND o.status = 'offered'
        WHERE e.status = 'waiting' AND e.last_day >= $2
          AND ($1::bigint IS NULL OR e.doctor_id = $1
               OR (e.doctor_id IS NULL AND e.specialty_id = (SELECT specialty_id FROM doctors WHERE id = $1)))
        ORDER BY e.created_at, e.id
        """,
        doctor_id,
        today,
    )
    found: list[WaitingForStaff] = []
    # Entries seen so far: per doctor, per specialty for any of its doctors, per specialty in all.
    for_doctor: Counter[int] = Counter()
    for_any: Counter[int] = Counter()
    in_specialty: Counter[int] = Counter()
    for row in rows:
        entry = dict(row)
        specialty = entry.pop("specialty_id")
        own = entry["doctor_id"]
        if doctor_id is not None:
            ahead = len(found)  # the list is that doctor's line
        elif own is None:
            ahead = in_specialty[specialty]
        else:
            ahead = for_doctor[own] + for_any[specialty]
        in_specialty[specialty] += 1
        if own is None:
            for_any[specialty] += 1
        else:
            for_doctor[own] += 1
        found.append(WaitingForStaff(position=ahead + 1, **entry))
    return found
