"""Messages from the clinic's staff (a console reply, the notice of a cancellation), each sent exactly once.

- **Queue.** The gateway stores the row (gateway/console/outbox.py) and queues its send job by name right after
  committing; a periodic tick queues every pending row nobody is posting, so a job the gateway never queued (it
  died after the commit) still goes. The job's queueing lock is named by the row: one waits at a time.
- **Send.** As `delivery.Delivery` sends any notification. The words are decided at send time: within 24 hours of
  the patient's last inbound message, free text (a reply as staff wrote it, a cancellation in the words of
  `template.CANCELLATION_TEXT`); past it, the approved template (`STAFF_REPLY_TEXT`, `CANCELLATION_TEXT`), its
  parameters flattened as Meta requires. No consent is asked: the patient wrote to the clinic, or it is about
  their own appointment, which the clinic called off. A message given up on is `failed`; staff see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from appointments.repository.connection import Connection
from gateway.clock import Clock
from gateway.console.outbox import ID_KEY, KIND, SEND_QUEUE, SEND_TASK, within_window
from notifications import callbacks
from notifications import staff_messages_repository as repository
from notifications.delivery import QUEUE, SEND, Delivery, End, Names, Sending, Verdict
from notifications.template import (
    CANCELLATION_TEXT,
    CancellationFacts,
    body_template,
    cancellation_parameters,
    render,
    text_message,
)

log = structlog.get_logger(__name__)

TICK_TASK = "notifications.staff_message_tick"
# Pending rows queued per tick; the rest on the next one.
_BATCH = 200
assert SEND_QUEUE == QUEUE  # the gateway queues the send job on the notification service's queue


class StaffMessages:
    """Sends what staff queued."""

    def __init__(
        self, sending: Sending, *, tz: ZoneInfo, reply_template: str, cancellation_template: str, language: str
    ) -> None:
        self._pool = sending.pool
        kind = _StaffMessageKind(
            clock=sending.clock,
            tz=tz,
            reply_template=reply_template,
            cancellation_template=cancellation_template,
            language=language,
        )
        self._delivery = Delivery(kind, sending, task=SEND_TASK)
        sending.every_tick(TICK_TASK, "staff_message_tick", self.tick)

    async def tick(self) -> int:
        """Queue every pending message nobody is posting; how many jobs were queued (not waiting already)."""
        async with self._pool.acquire() as conn:
            ids = await repository.pending(conn, limit=_BATCH)
        queued = 0
        for message_id in ids:
            queued += await self._delivery.defer(message_id)  # False: its job waits already
        return queued

    async def send(self, message_id: int) -> None:
        """Send one message; raises RetryAt to be run again later."""
        await self._delivery.send(message_id)


@dataclass(frozen=True)
class _StaffMessageKind:
    """A staff message's parts of the send (`delivery.Kind`): always meant; given up on, it is `failed`."""

    # Logs staff_message_sent, staff_message_attempt_failed, staff_message_failed (never its text or phone).
    names = Names(kind=KIND, id_key=ID_KEY, not_sent="staff_message_not_sent")
    clock: Clock
    tz: ZoneInfo
    reply_template: str
    cancellation_template: str
    language: str

    async def lock(self, conn: Connection, row_id: int) -> repository.LockedMessage | None:
        row = await repository.lock(conn, message_id=row_id)
        return row if row is not None and row.status == "pending" else None

    async def verdict(self, conn: Connection, row: repository.LockedMessage, now: datetime) -> Verdict:
        return SEND

    async def claim(self, conn: Connection, row_id: int, lease_seconds: float) -> int:
        return await repository.claim(conn, message_id=row_id, lease_seconds=lease_seconds)

    def free_text(self, row: repository.LockedMessage) -> bool:
        """Whether the patient's 24-hour window is open now (the post follows at once)."""
        return within_window(row.last_inbound_at, self.clock())

    def message(self, row: repository.LockedMessage) -> dict[str, Any]:
        data = callbacks.staff_message_callback_data(row.id)
        free = self.free_text(row)
        if row.purpose == "reply":
            if free:
                return text_message(row.phone, row.text, callback_data=data)
            return body_template(
                row.phone, [row.text], template=self.reply_template, language=self.language, callback_data=data
            )
        assert row.full_name is not None and row.doctor_name is not None and row.starts_at is not None
        facts = CancellationFacts(
            full_name=row.full_name,
            doctor_name=row.doctor_name,
            starts_at=row.starts_at,
            reason=row.text,
            holder_name=row.holder_name,
        )
        parameters = cancellation_parameters(facts, tz=self.tz)
        if free:
            return text_message(row.phone, render(CANCELLATION_TEXT, parameters), callback_data=data)
        return body_template(
            row.phone, parameters, template=self.cancellation_template, language=self.language, callback_data=data
        )

    async def record_sent(self, conn: Connection, row_id: int, wamid: str | None, now: datetime) -> None:
        await repository.record_sent(conn, message_id=row_id, wamid=wamid, now=now)

    async def retry_later(self, conn: Connection, row_id: int, seconds: float, error: str, now: datetime) -> None:
        await repository.record_failed_attempt(conn, message_id=row_id, error=error, hold_seconds=seconds, now=now)

    async def end(self, conn: Connection, row_id: int, how: End, now: datetime, error: str | None = None) -> None:
        assert how.outcome == "failed"  # a staff message is always meant: it ends only when its posts failed
        await repository.fail(conn, message_id=row_id, reason=how.reason, now=now, error=error)

    def sent_facts(self, row: repository.LockedMessage) -> Mapping[str, object]:
        return {"purpose": row.purpose, "free_text": self.free_text(row)}
