"""The staff outbox's gateway side on real Postgres: the 24-hour window, what a reply may be, and how the model reads
a conversation with a staff reply in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from gateway.console import outbox
from gateway.console.outbox import StaffMessageRefused
from gateway.console.repository import StaffUser
from gateway.conversation import repository
from gateway.conversation.model_reply import model_history

NOW = datetime(2026, 6, 1, 13, tzinfo=UTC)
PHONE = "+59170000001"


async def _conversation(conn: asyncpg.Connection, phone: str = PHONE) -> UUID:
    conversation_id: UUID = await conn.fetchval(
        "INSERT INTO conversations (user_phone, vouched_by, channel) VALUES ($1, 'whatsapp:1', 'whatsapp') "
        "RETURNING id",
        phone,
    )
    return conversation_id


async def _message(
    conn: asyncpg.Connection, conversation_id: UUID, role: str, at: datetime, phone: str = PHONE
) -> None:
    await conn.execute(
        "INSERT INTO messages (conversation_id, user_phone, role, content, created_at) VALUES ($1, $2, $3, 'hola', $4)",
        conversation_id,
        phone,
        role,
        at,
    )


async def test_the_window_is_open_for_24_hours_after_the_patients_last_message_only(conn: asyncpg.Connection) -> None:
    chat = await _conversation(conn)
    assert not await outbox.window_open(conn, conversation_id=chat, now=NOW)  # never wrote

    await _message(conn, chat, "user", NOW - timedelta(hours=24, seconds=1))
    await _message(conn, chat, "assistant", NOW - timedelta(minutes=5))  # our own messages open nothing
    assert not await outbox.window_open(conn, conversation_id=chat, now=NOW)

    # The window is the phone's: the patient's message in an earlier conversation counts.
    earlier = await _conversation(conn)
    await _message(conn, earlier, "user", NOW - timedelta(hours=23, minutes=59))
    assert await outbox.window_open(conn, conversation_id=chat, now=NOW)
    assert await outbox.window_open_for_phone(conn, phone=PHONE, now=NOW)
    assert not await outbox.window_open_for_phone(conn, phone="+59170000002", now=NOW)
    assert not await outbox.window_open(conn, conversation_id=UUID(int=1), now=NOW)


@pytest.mark.parametrize(("text", "code"), [("", "empty"), (" \n\t ", "empty"), ("x" * 1001, "too_long")])
async def test_an_empty_or_overlong_reply_is_refused_and_nothing_is_stored(
    conn: asyncpg.Connection, ana: StaffUser, text: str, code: str
) -> None:
    chat = await _conversation(conn)

    with pytest.raises(StaffMessageRefused) as refused:
        await outbox.queue_reply(conn, staff_user_id=ana.id, conversation_id=chat, text=text, now=NOW)

    assert refused.value.code == code
    assert await conn.fetchval("SELECT count(*) FROM messages") == 0
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 0


async def test_a_reply_of_1000_characters_is_kept_inside_the_window_900_past_it_and_none_to_no_conversation(
    conn: asyncpg.Connection, ana: StaffUser
) -> None:
    quiet = await _conversation(conn)
    talking = await _conversation(conn, "+59170000778")
    await _message(conn, talking, "user", NOW - timedelta(hours=1), phone="+59170000778")

    inside = await outbox.queue_reply(conn, staff_user_id=ana.id, conversation_id=talking, text="x" * 1000, now=NOW)
    past = await outbox.queue_reply(conn, staff_user_id=ana.id, conversation_id=quiet, text="x" * 900, now=NOW)
    with pytest.raises(StaffMessageRefused) as too_long:
        await outbox.queue_reply(conn, staff_user_id=ana.id, conversation_id=quiet, text="x" * 901, now=NOW)
    with pytest.raises(StaffMessageRefused) as nowhere:
        await outbox.queue_reply(conn, staff_user_id=ana.id, conversation_id=UUID(int=1), text="hola", now=NOW)

    assert not inside.as_template and inside.message_id is not None
    assert past.as_template
    assert (too_long.value.code, nowhere.value.code) == ("too_long_for_template", "no_conversation")
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 2


async def test_a_staff_message_names_its_writer_and_only_a_staff_message_does(
    conn: asyncpg.Connection, ana: StaffUser
) -> None:
    chat = await _conversation(conn)
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO messages (conversation_id, user_phone, role, content) VALUES ($1, $2, 'staff', 'x')",
            chat,
            PHONE,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO messages (conversation_id, user_phone, role, content, staff_user_id) "
            "VALUES ($1, $2, 'user', 'x', $3)",
            chat,
            PHONE,
            ana.id,
        )


async def test_the_model_reads_a_staff_reply_as_the_clinics_side_never_as_the_patients(
    conn: asyncpg.Connection, ana: StaffUser
) -> None:
    chat = await _conversation(conn)
    await _message(conn, chat, "user", NOW - timedelta(minutes=3))
    await outbox.queue_reply(
        conn, staff_user_id=ana.id, conversation_id=chat, text="Soy Ana, de recepción: ¿en qué le ayudo?", now=NOW
    )

    messages = await repository.recent_messages(conn, conversation_id=chat, limit=10)

    assert [m.role for m in messages] == ["user", "staff"]
    assert model_history(messages) == [("user", "hola"), ("assistant", "Soy Ana, de recepción: ¿en qué le ayudo?")]
