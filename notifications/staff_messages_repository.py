"""The SQL of staff messages (migration 0026): the pending rows, claiming and recording sends.

Claims are leases in the database's own time, as reminders' are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from appointments.repository.connection import Connection


async def pending(conn: Connection, *, limit: int) -> list[int]:
    """Pending staff messages that no copy is posting, oldest first."""
    rows = await conn.fetch(
        """
        SELECT id FROM staff_messages
        WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY created_at, id LIMIT $1
        """,
        limit,
    )
    return [r["id"] for r in rows]


@dataclass(frozen=True)
class LockedMessage:
    """A staff message locked for this transaction, with what its words need (a cancellation's appointment)."""

    id: int
    status: str
    busy: bool
    claimed_until: datetime | None
    purpose: str
    phone: str
    text: str
    # When the patient on `phone` last wrote: free text may go within 24 hours of it.
    last_inbound_at: datetime | None
    appointment_id: uuid.UUID | None
    starts_at: datetime | None
    full_name: str | None
    holder_name: str | None
    doctor_name: str | None


async def lock(conn: Connection, *, message_id: int) -> LockedMessage | None:
    """The staff message and, for a cancellation, its appointment's patient, doctor and time; the row locked until
    the transaction ends."""
    row = await conn.fetchrow(
        """
        SELECT s.id, s.status, coalesce(s.claimed_until > now(), false) AS busy, s.claimed_until, s.purpose,
               s.phone, s.text,
               (SELECT max(m.created_at) FROM messages m WHERE m.user_phone = s.phone AND m.role = 'user')
                   AS last_inbound_at,
               a.id AS appointment_id, a.starts_at, p.full_name,
               CASE WHEN p.phone IS NULL THEN h.full_name END AS holder_name, d.full_name AS doctor_name
        FROM staff_messages s
        LEFT JOIN appointments a ON a.id = s.appointment_id
        LEFT JOIN patients p ON p.id = a.patient_id
        LEFT JOIN patients h ON h.id = p.holder_id
        LEFT JOIN doctors d ON d.id = a.doctor_id
        WHERE s.id = $1
        FOR UPDATE OF s
        """,
        message_id,
    )
    return None if row is None else LockedMessage(**dict(row))


async def claim(conn: Connection, *, message_id: int, lease_seconds: float) -> int:
    """Claim a locked message for one post; its attempt number."""
    attempts: int = await conn.fetchval(
        """
        UPDATE staff_messages SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
        WHERE id = $1 RETURNING attempts
        """,
        message_id,
        lease_seconds,
    )
    return attempts


async def record_sent(conn: Connection, *, message_id: int, wamid: str | None, now: datetime) -> None:
    await conn.execute(
        """
        UPDATE staff_messages SET status = 'sent', sent_wamid = $2, sent_at = $3, updated_at = $3, claimed_until = NULL
        WHERE id = $1 AND status = 'pending'
        """,
        message_id,
        wamid,
        now,
    )


async def record_failed_attempt(
    conn: Connection, *, message_id: int, error: str, hold_seconds: float, now: datetime
) -> None:
    """A post that failed: no copy posts it again for `hold_seconds` (the retry's wait)."""
    await conn.execute(
        """
        UPDATE staff_messages
        SET last_error = $2, claimed_until = now() + make_interval(secs => $3), updated_at = $4
        WHERE id = $1 AND status = 'pending'
        """,
        message_id,
        error,
        hold_seconds,
        now,
    )


async def fail(conn: Connection, *, message_id: int, reason: str, now: datetime, error: str | None = None) -> bool:
    """Give a pending message up (`reason`: send_failed, send_refused); False if it had ended already."""
    result: str = await conn.execute(
        """
        UPDATE staff_messages SET status = 'failed', reason = $2, updated_at = $3, claimed_until = NULL,
                                  last_error = coalesce($4, last_error)
        WHERE id = $1 AND status = 'pending'
        """,
        message_id,
        reason,
        now,
        error,
    )
    return result.endswith(" 1")


async def confirm_sent(conn: Connection, *, message_id: int, wamid: str) -> bool:
    """Meta says it sent the message (its status callback); True when that is news. One given up on as failed
    after a post whose answer was lost is sent after all."""
    updated = await conn.fetchval(
        """
        UPDATE staff_messages SET status = 'sent', reason = NULL, sent_wamid = $2, sent_at = now(), updated_at = now(),
                                  claimed_until = NULL
        WHERE id = $1 AND status IN ('pending', 'failed')
        RETURNING id
        """,
        message_id,
        wamid,
    )
    return updated is not None
