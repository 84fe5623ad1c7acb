"""The `whatsapp_inbound` table: each delivered message once, and how answering it went."""

from __future__ import annotations

from typing import Literal

from gateway.db import Connection
from gateway.whatsapp.payloads import Inbound

Outcome = Literal["answered", "ignored", "limited", "failed"]


async def record_inbound(conn: Connection, *, message: Inbound) -> bool:
    """Store a delivered message; False when its wamid was stored before (Meta retried it)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO whatsapp_inbound (wamid, phone_number_id, wa_id, message_type, sent_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (wamid) DO NOTHING
        RETURNING id
        """,
        message.wamid,
        message.phone_number_id,
        message.wa_id,
        message.message_type,
        message.sent_at,
    )
    return inserted is not None


async def finish(conn: Connection, *, wamid: str, outcome: Outcome, error: str | None = None) -> None:
    await conn.execute(
        "UPDATE whatsapp_inbound SET status = $2, error = $3, finished_at = now() WHERE wamid = $1",
        wamid,
        outcome,
        error,
    )
