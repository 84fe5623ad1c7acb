"""Messages from the clinic's staff to a patient: queued in the caller's transaction, sent exactly once by the
notification service (migrations/0026_staff_messages.sql, notifications/staff_messages.py).

- **Queue.** `queue_reply` stores a reply in the conversation (role 'staff', its writer named) and its outbox row;
  `queue_cancellation_notice` stores the notice that staff cancelled an appointment (the reason as staff gave it;
  the notification service words it). Both in the caller's transaction: the message exists exactly when the action
  that made it committed.
- **Send now.** After the commit the caller hands the row to `send_now`, which queues the notification service's
  send job by name, so the message leaves within a second. If that is lost (the gateway died after the commit, the
  database blinked), the service's tick finds the pending row and queues it: nothing is lost, nothing goes twice.
- **The 24-hour window.** WhatsApp lets a business send free text only within 24 hours of the patient's last
  inbound message; past that only an approved template. `window_open` says which, for the page; the notification
  service decides again when it sends (`within_window`), since time passes in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal
from uuid import UUID

import structlog
from procrastinate.exceptions import AlreadyEnqueued

from appointments import repository as clinic
from gateway.conversation import repository as conversations
from gateway.db import Connection
from gateway.jobs import JobQueue

log = structlog.get_logger(__name__)

# WhatsApp's customer-service window: free text within this long of the patient's last inbound message.
FREE_TEXT_WINDOW: Final = timedelta(hours=24)
MAX_TEXT: Final = 1000
# Past the window a reply goes inside the template `respuesta_equipo`, whose own words (about 100 characters) plus
# this stay under WhatsApp's 1,024 characters for a filled template body (error 132005 beyond it).
MAX_TEMPLATE_TEXT: Final = 900
# A reason for a cancellation: short, as it goes into the patient's message and whole into the audit log.
MAX_REASON: Final = 200
# The notification service's send job (notifications/staff_messages.py registers it under these names).
SEND_TASK: Final = "notifications.staff_message_send"
SEND_QUEUE: Final = "notifications"
ID_KEY: Final = "staff_message_id"
KIND: Final = "staff_message"

Purpose = Literal["reply", "cancellation"]


class StaffMessageRefused(ValueError):
    """A staff message the rules refuse; `code` says why: empty, too_long, too_long_for_template, no_conversation,
    no_appointment."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class QueuedMessage:
    """A staff message waiting to be sent. `as_template`: the patient's 24-hour window was closed when it was
    queued, so (unless they write meanwhile) it goes as the approved template, not as free text."""

    id: int
    purpose: Purpose
    as_template: bool
    # The reply's `messages` row (None for a cancellation notice).
    message_id: int | None = None


def within_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free text may go at `now` to a patient whose last inbound message was at `last_inbound_at`."""
    return last_inbound_at is not None and now - last_inbound_at < FREE_TEXT_WINDOW


def clean_text(text: str, *, limit: int = MAX_TEXT) -> str:
    """`text` trimmed, or StaffMessageRefused when nothing is left or it is longer than `limit`."""
    text = text.strip()
    if not text:
        raise StaffMessageRefused("empty", "the message is empty")
    if len(text) > limit:
        raise StaffMessageRefused("too_long", f"the message is longer than {limit} characters")
    return text


async def last_inbound_at(conn: Connection, *, phone: str) -> datetime | None:
    """When the patient on `phone` last wrote (any conversation: WhatsApp's window is per phone)."""
    value: datetime | None = await conn.fetchval(
        "SELECT max(created_at) FROM messages WHERE user_phone = $1 AND role = 'user'", phone
    )
    return value


async def _conversation_phone(conn: Connection, conversation_id: UUID) -> str | None:
    phone: str | None = await conn.fetchval("SELECT user_phone FROM conversations WHERE id = $1", conversation_id)
    return phone


async def window_open(conn: Connection, *, conversation_id: UUID, now: datetime) -> bool:
    """Whether a reply in this conversation may go as free text now (False: as a template; also for no such
    conversation)."""
    phone = await _conversation_phone(conn, conversation_id)
    return phone is not None and await window_open_for_phone(conn, phone=phone, now=now)


async def window_open_for_phone(conn: Connection, *, phone: str, now: datetime) -> bool:
    """Whether free text may go to `phone` now."""
    return within_window(await last_inbound_at(conn, phone=phone), now)


async def _insert(
    conn: Connection,
    *,
    purpose: Purpose,
    phone: str,
    text: str,
    staff_user_id: int,
    now: datetime,
    conversation_id: UUID | None = None,
    message_id: int | None = None,
    appointment_id: UUID | None = None,
) -> int:
    row_id: int = await conn.fetchval(
        """
        INSERT INTO staff_messages (purpose, conversation_id, message_id, appointment_id, phone, text, staff_user_id,
                                    created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
        RETURNING id
        """,
        purpose,
        conversation_id,
        message_id,
        appointment_id,
        phone,
        text,
        staff_user_id,
        now,
    )
    return row_id


async def queue_reply(
    conn: Connection, *, staff_user_id: int, conversation_id: UUID, text: str, now: datetime
) -> QueuedMessage:
    """Store a staff reply in the conversation and queue it for sending, in the caller's transaction (hand the
    result to `send_now` after the commit). Raises StaffMessageRefused: empty or longer than MAX_TEXT after
    trimming, or no such conversation."""
    text = clean_text(text)
    async with conn.transaction():
        phone = await _conversation_phone(conn, conversation_id)
        if phone is None:
            raise StaffMessageRefused("no_conversation", "no such conversation")
        open_now = await window_open_for_phone(conn, phone=phone, now=now)
        if not open_now and len(text) > MAX_TEMPLATE_TEXT:
            raise StaffMessageRefused(
                "too_long_for_template", f"past the 24-hour window a reply holds at most {MAX_TEMPLATE_TEXT} characters"
            )
        stored = await conversations.add_message(
            conn,
            conversation_id=conversation_id,
            user_phone=phone,
            role="staff",
            content=text,
            request_id=uuid.uuid4().hex,
            staff_user_id=staff_user_id,
        )
        row_id = await _insert(
            conn,
            purpose="reply",
            phone=phone,
            text=text,
            staff_user_id=staff_user_id,
            now=now,
            conversation_id=conversation_id,
            message_id=stored.id,
        )
    log.info("staff_reply_queued", staff_message_id=row_id, conversation_id=str(conversation_id), template=not open_now)
    return QueuedMessage(id=row_id, purpose="reply", as_template=not open_now, message_id=stored.id)


async def queue_cancellation_notice(
    conn: Connection, *, appointment_id: UUID, reason: str, staff_user_id: int, now: datetime
) -> QueuedMessage:
    """Queue the message telling the patient (a family member's holder) that staff cancelled the appointment and
    why, in the caller's transaction. Raises StaffMessageRefused: the reason empty or longer than MAX_REASON, or no
    such appointment. The notice goes whether or not the patient agreed to reminders: it is about their own
    appointment, which the clinic called off."""
    reason = clean_text(reason, limit=MAX_REASON)
    appointment = await clinic.get_appointment(conn, appointment_id=appointment_id)
    if appointment is None:
        raise StaffMessageRefused("no_appointment", "no such appointment")
    contact = (await clinic.patient_contacts(conn, patient_ids=[appointment.patient_id]))[appointment.patient_id]
    row_id = await _insert(
        conn,
        purpose="cancellation",
        phone=contact.phone,
        text=reason,
        staff_user_id=staff_user_id,
        now=now,
        appointment_id=appointment_id,
    )
    open_now = await window_open_for_phone(conn, phone=contact.phone, now=now)
    log.info("staff_cancellation_notice_queued", staff_message_id=row_id, template=not open_now)
    return QueuedMessage(id=row_id, purpose="cancellation", as_template=not open_now)


async def send_now(queue: JobQueue, message: QueuedMessage) -> None:
    """After the commit: queue the notification service's send job for `message`. Never raises: a send job not
    queued here is queued by the service's next tick."""
    try:
        await queue.app.configure_task(SEND_TASK, queue=SEND_QUEUE, queueing_lock=f"{KIND}:{message.id}").defer_async(
            **{ID_KEY: message.id}
        )
    except AlreadyEnqueued:
        return
    except Exception as exc:  # the tick picks the row up; the caller's action stands
        log.warning("staff_message_not_queued", staff_message_id=message.id, error=type(exc).__name__)
