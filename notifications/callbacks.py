"""Meta's status callbacks for reminders: each reminder is sent naming its row, and a `sent` report records it.

The callbacks reach the gateway's webhook (one per WhatsApp app), which hands those of reminders here.
"""

from __future__ import annotations

from appointments.repository.connection import Connection
from notifications import repository

CALLBACK_PREFIX = "clinic-reminder:"


def callback_data(reminder_id: int) -> str:
    """The `biz_opaque_callback_data` a reminder is sent with."""
    return f"{CALLBACK_PREFIX}{reminder_id}"


def reminder_of(data: str | None) -> int | None:
    """The reminder a callback's `biz_opaque_callback_data` names, or None when it names none."""
    if data is None or not data.startswith(CALLBACK_PREFIX):
        return None
    number = data.removeprefix(CALLBACK_PREFIX)
    return int(number) if number.isdigit() and len(number) < 19 else None


async def record_sent(conn: Connection, *, data: str | None, wamid: str) -> bool:
    """Record the reminder named by `data` sent; True when it was news (False too when `data` names none)."""
    reminder_id = reminder_of(data)
    if reminder_id is None:
        return False
    return await repository.confirm_sent(conn, reminder_id=reminder_id, wamid=wamid)
