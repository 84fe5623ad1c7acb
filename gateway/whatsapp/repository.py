"""The `whatsapp_inbound` and `whatsapp_outbound` tables: each delivered message once, its answer's messages once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gateway.db import Connection
from gateway.whatsapp.client import OutboundMessage
from gateway.whatsapp.payloads import Inbound

Outcome = Literal["answered", "ignored", "limited", "failed"]


async def record_inbound(conn: Connection, *, message: Inbound) -> bool:
    """Store a delivered message; False when its wamid was stored before (Meta retried it)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO whatsapp_inbound (wamid, phone_number_id, wa_id, message_type, sent_at, body, answer)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (wamid) DO NOTHING
        RETURNING id
        """,
        message.wamid,
        message.phone_number_id,
        message.wa_id,
        message.message_type,
        message.sent_at,
        message.text,
        message.answer,
    )
    return inserted is not None


async def start_attempt(conn: Connection, *, wamid: str) -> Inbound | None:
    """Count one more attempt at answering `wamid`; the message, or None when it is finished (or unknown)."""
    row = await conn.fetchrow(
        """
        UPDATE whatsapp_inbound SET attempts = attempts + 1
        WHERE wamid = $1 AND status = 'received'
        RETURNING wamid, phone_number_id, wa_id, message_type, sent_at, body, answer
        """,
        wamid,
    )
    return None if row is None else _inbound(row, text=row["body"])


async def inbound_by_wamid(conn: Connection, *, wamid: str) -> Inbound | None:
    """A stored message without its text (which is dropped once it is answered), or None when unknown."""
    row = await conn.fetchrow(
        "SELECT wamid, phone_number_id, wa_id, message_type, sent_at, answer FROM whatsapp_inbound WHERE wamid = $1",
        wamid,
    )
    return None if row is None else _inbound(row, text=None)


def _inbound(row: Any, *, text: str | None) -> Inbound:
    return Inbound(
        wamid=row["wamid"],
        phone_number_id=row["phone_number_id"],
        wa_id=row["wa_id"],
        message_type=row["message_type"],
        sent_at=row["sent_at"],
        text=text,
        answer=row["answer"],
    )


async def finish(conn: Connection, *, wamid: str, outcome: Outcome, error: str | None = None) -> None:
    """Record how answering went; the text is dropped from here (the conversation keeps it)."""
    await conn.execute(
        """
        UPDATE whatsapp_inbound SET status = $2, error = $3, finished_at = now(), body = NULL
        WHERE wamid = $1 AND status = 'received'
        """,
        wamid,
        outcome,
        error,
    )


async def unqueued(conn: Connection, *, task_name: str, older_than_seconds: float, limit: int = 100) -> list[str]:
    """Messages still `received` a while after they arrived with no job waiting or running for them.

    A copy that died between storing a message and deferring its job leaves one; so does a job given up on while
    the database was down (it could not record the failure).
    """
    rows = await conn.fetch(
        """
        SELECT i.wamid FROM whatsapp_inbound i
        WHERE i.status = 'received' AND i.received_at < now() - make_interval(secs => $2)
          AND NOT EXISTS (
              SELECT FROM procrastinate_jobs j
              WHERE j.task_name = $1 AND j.status IN ('todo', 'doing') AND j.args ->> 'wamid' = i.wamid
          )
        ORDER BY i.received_at
        LIMIT $3
        """,
        task_name,
        older_than_seconds,
        limit,
    )
    return [r["wamid"] for r in rows]


@dataclass(frozen=True)
class Part:
    """One Graph API message of an answer."""

    id: int
    part: int
    message: OutboundMessage
    sent: bool


def _part(row: Any) -> Part:
    return Part(id=row["id"], part=row["part"], message=json.loads(row["message"]), sent=row["status"] == "sent")


async def reply_parts(conn: Connection, *, wamid: str) -> list[Part]:
    """The stored answer to `wamid`, in order; empty until one was worked out."""
    rows = await conn.fetch(
        "SELECT id, part, message, status FROM whatsapp_outbound WHERE inbound_wamid = $1 ORDER BY part", wamid
    )
    return [_part(r) for r in rows]


async def store_reply(conn: Connection, *, wamid: str, messages: list[OutboundMessage]) -> list[Part]:
    """Store the answer to `wamid` before any of it is sent; an answer stored before wins (it is returned)."""
    async with conn.transaction():
        for number, message in enumerate(messages):
            await conn.execute(
                """
                INSERT INTO whatsapp_outbound (inbound_wamid, part, message) VALUES ($1, $2, $3::jsonb)
                ON CONFLICT (inbound_wamid, part) DO NOTHING
                """,
                wamid,
                number,
                json.dumps(message, ensure_ascii=False),
            )
    return await reply_parts(conn, wamid=wamid)


ClaimResult = Literal["claimed", "sent", "busy"]


async def claim_part(conn: Connection, *, part_id: int, lease_seconds: float) -> tuple[ClaimResult, datetime | None]:
    """Claim a part for one POST until the lease ends: `sent` if it was sent meanwhile, `busy` (and until when)
    while another POST of it may still be under way."""
    row = await conn.fetchrow(
        """
        WITH claimed AS (
            UPDATE whatsapp_outbound
            SET attempts = attempts + 1, claimed_until = now() + make_interval(secs => $2)
            WHERE id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= now())
            RETURNING id
        )
        SELECT (SELECT count(*) FROM claimed) = 1 AS claimed, status, claimed_until
        FROM whatsapp_outbound WHERE id = $1
        """,
        part_id,
        lease_seconds,
    )
    assert row is not None
    if row["claimed"]:
        return "claimed", None
    if row["status"] == "sent":
        return "sent", None
    return "busy", row["claimed_until"]


async def part_sent(conn: Connection, *, part_id: int, sent_wamid: str | None) -> None:
    await conn.execute(
        """
        UPDATE whatsapp_outbound SET status = 'sent', sent_wamid = COALESCE($2, sent_wamid),
            sent_at = COALESCE(sent_at, now()), claimed_until = NULL, last_error = NULL
        WHERE id = $1
        """,
        part_id,
        sent_wamid,
    )


async def part_failed(conn: Connection, *, part_id: int, error: str, outcome_known: bool) -> None:
    """A POST of the part failed. Refused outright: it may be posted again at once. Outcome unknown (a timeout
    after the request went out): the claim stays until its lease ends, giving Meta's status callback time."""
    await conn.execute(
        """
        UPDATE whatsapp_outbound SET last_error = $2, claimed_until = CASE WHEN $3 THEN NULL ELSE claimed_until END
        WHERE id = $1 AND status = 'pending'
        """,
        part_id,
        error[:1000],
        outcome_known,
    )


async def confirm_part(conn: Connection, *, part_id: int, sent_wamid: str) -> bool:
    """Meta's status callback says a part was sent; True when that is news to us."""
    updated = await conn.fetchval(
        """
        UPDATE whatsapp_outbound SET status = 'sent', sent_wamid = $2, sent_at = now(), claimed_until = NULL
        WHERE id = $1 AND status = 'pending'
        RETURNING id
        """,
        part_id,
        sent_wamid,
    )
    return updated is not None


@dataclass(frozen=True)
class FailedMessage:
    wamid: str
    wa_id: str
    message_type: str
    received_at: datetime
    failed_at: datetime | None
    attempts: int
    error: str | None
    parts: int
    parts_sent: int


async def failed_messages(conn: Connection, *, limit: int) -> list[FailedMessage]:
    """Messages given up on, newest first, with how much of their answer went out."""
    rows = await conn.fetch(
        """
        SELECT i.wamid, i.wa_id, i.message_type, i.received_at, i.finished_at, i.attempts, i.error,
               count(o.id) AS parts, count(o.id) FILTER (WHERE o.status = 'sent') AS parts_sent
        FROM whatsapp_inbound i LEFT JOIN whatsapp_outbound o ON o.inbound_wamid = i.wamid
        WHERE i.status = 'failed'
        GROUP BY i.id
        ORDER BY i.finished_at DESC NULLS LAST, i.id DESC
        LIMIT $1
        """,
        limit,
    )
    return [
        FailedMessage(
            wamid=r["wamid"],
            wa_id=r["wa_id"],
            message_type=r["message_type"],
            received_at=r["received_at"],
            failed_at=r["finished_at"],
            attempts=r["attempts"],
            error=r["error"],
            parts=r["parts"],
            parts_sent=r["parts_sent"],
        )
        for r in rows
    ]
