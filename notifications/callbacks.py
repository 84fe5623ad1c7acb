"""Meta's status callbacks for the notifications: each reminder, waitlist offer and staff message is sent naming its
row, and a `sent` report records it.

The callbacks reach the gateway's webhook (one per WhatsApp app), which hands those of notifications here: this
module is the gateway's `StatusRecorder` (gateway/whatsapp/service.py), wired in by gateway/app.py.
"""

from __future__ import annotations

from appointments.repository.connection import Connection
from notifications import repository, staff_messages_repository, waitlist_repository

CALLBACK_PREFIX = "clinic-reminder:"
OFFER_PREFIX = "clinic-waitlist:"
STAFF_MESSAGE_PREFIX = "clinic-staff:"


def callback_data(reminder_id: int) -> str:
    """The `biz_opaque_callback_data` a reminder is sent with."""
    return f"{CALLBACK_PREFIX}{reminder_id}"


def offer_callback_data(offer_id: int) -> str:
    """The `biz_opaque_callback_data` a waitlist offer is sent with."""
    return f"{OFFER_PREFIX}{offer_id}"


def staff_message_callback_data(message_id: int) -> str:
    """The `biz_opaque_callback_data` a staff message is sent with."""
    return f"{STAFF_MESSAGE_PREFIX}{message_id}"


def _number_after(prefix: str, data: str | None) -> int | None:
    if data is None or not data.startswith(prefix):
        return None
    number = data.removeprefix(prefix)
    return int(number) if number.isdigit() and len(number) < 19 else None


def reminder_of(data: str | None) -> int | None:
    """The reminder a callback's `biz_opaque_callback_data` names, or None when it names none."""
    return _number_after(CALLBACK_PREFIX, data)


def offer_of(data: str | None) -> int | None:
    """The waitlist offer a callback's `biz_opaque_callback_data` names, or None when it names none."""
    return _number_after(OFFER_PREFIX, data)


def staff_message_of(data: str | None) -> int | None:
    """The staff message a callback's `biz_opaque_callback_data` names, or None when it names none."""
    return _number_after(STAFF_MESSAGE_PREFIX, data)


def is_notification(data: str | None) -> bool:
    """Whether the callback's data names a reminder, a waitlist offer or a staff message."""
    return any(of(data) is not None for of in (reminder_of, offer_of, staff_message_of))


async def record_sent(conn: Connection, *, data: str | None, wamid: str) -> bool:
    """Record the reminder, offer or staff message named by `data` sent; True when it was news (False too when
    `data` names none)."""
    reminder_id = reminder_of(data)
    if reminder_id is not None:
        return await repository.confirm_sent(conn, reminder_id=reminder_id, wamid=wamid)
    offer_id = offer_of(data)
    if offer_id is not None:
        return await waitlist_repository.confirm_sent(conn, offer_id=offer_id, wamid=wamid)
    message_id = staff_message_of(data)
    if message_id is not None:
        return await staff_messages_repository.confirm_sent(conn, message_id=message_id, wamid=wamid)
    return False
