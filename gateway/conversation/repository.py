"""SQL for conversations and their messages."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from uuid import UUID

from gateway.db import Connection

# 'staff': a person of the clinic wrote it from the console (the model is shown it as the clinic's side).
Role = Literal["user", "assistant", "staff"]


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: UUID
    role: Role
    content: str
    action: str | None
    created_at: datetime


async def open_conversation(
    conn: Connection, *, user_phone: str, vouched_by: str, idle_after: timedelta, channel: str
) -> UUID:
    """The current conversation of `user_phone` through the caller `vouched_by`, or a new one after `idle_after`.

    Each caller that vouches for a phone has conversations of its own: another API key claiming the
    same phone neither continues this one's flow nor has its history shown to the model.

    Serialised per phone with an advisory lock, so two messages arriving together
    on two gateway copies never start two conversations.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('conversation:' || $1))", user_phone)
        conversation_id: UUID | None = await conn.fetchval(
            """
            SELECT id FROM conversations
            WHERE user_phone = $1 AND vouched_by = $2 AND last_message_at > now() - $3::interval
            ORDER BY last_message_at DESC LIMIT 1
            """,
            user_phone,
            vouched_by,
            idle_after,
        )
        if conversation_id is None:
            conversation_id = await conn.fetchval(
                "INSERT INTO conversations (user_phone, vouched_by, channel) VALUES ($1, $2, $3) RETURNING id",
                user_phone,
                vouched_by,
                channel,
            )
    assert conversation_id is not None
    return conversation_id


async def add_message(
    conn: Connection,
    *,
    conversation_id: UUID,
    user_phone: str,
    role: Role,
    content: str,
    request_id: str,
    action: str | None = None,
    meta: dict[str, Any] | None = None,
    inbound_key: str | None = None,
    reply_to: int | None = None,
    answer_extras: dict[str, Any] | None = None,
    staff_user_id: int | None = None,
) -> StoredMessage:
    """Append a message and bump the conversation's activity time, atomically.

    A staff message (role 'staff') names its writer, `staff_user_id`; no other message has one.

    `inbound_key` (inbound messages) and `reply_to` (the inbound message a reply answers) are unique: storing
    either a second time raises asyncpg.UniqueViolationError and stores nothing.
    """
    # One statement, so one round trip: the insert and the bump commit together or not at all.
    row = await conn.fetchrow(
        """
        WITH added AS (
            INSERT INTO messages (
                conversation_id, user_phone, role, content, action, request_id, meta, inbound_key, reply_to,
                answer_extras, staff_user_id
            )
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb, $11)
            RETURNING id, conversation_id, role, content, action, created_at
        ), bumped AS (
            UPDATE conversations SET last_message_at = now() WHERE id = $1
        )
        SELECT * FROM added
        """,
        conversation_id,
        user_phone,
        role,
        content,
        action,
        request_id,
        json.dumps(meta or {}),
        inbound_key,
        reply_to,
        json.dumps(answer_extras or {}),
        staff_user_id,
    )
    assert row is not None
    return StoredMessage(**dict(row))


@dataclass(frozen=True)
class StoredReply:
    """The reply stored to an inbound message, with what the turn answered besides its text."""

    content: str
    action: str | None
    request_id: str | None
    # The options offered and the appointment, as the answer gave them.
    extras: dict[str, Any]


async def reply_to(conn: Connection, *, message_id: int) -> StoredReply | None:
    """The reply stored to the inbound message `message_id`, if its turn got that far."""
    row = await conn.fetchrow(
        "SELECT content, action, request_id, answer_extras FROM messages WHERE reply_to = $1", message_id
    )
    if row is None:
        return None
    extras = row["answer_extras"]
    return StoredReply(
        content=row["content"],
        action=row["action"],
        request_id=row["request_id"],
        extras=json.loads(extras) if isinstance(extras, str) else dict(extras),
    )


async def recent_messages(conn: Connection, *, conversation_id: UUID, limit: int) -> list[StoredMessage]:
    """The last `limit` messages of a conversation, oldest first."""
    rows = await conn.fetch(
        """
        SELECT id, conversation_id, role, content, action, created_at FROM (
            SELECT * FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2
        ) AS latest
        ORDER BY created_at, id
        """,
        conversation_id,
        limit,
    )
    return [StoredMessage(**dict(row)) for row in rows]


# Which waits first in the staff's inbox; an emergency also takes over a handover already waiting for another reason.
HANDOVER_REASONS: Final = ("emergency", "human_handoff", "verification_failed")


async def flag_for_human(conn: Connection, *, conversation_id: UUID, reason: str, announce: bool = False) -> bool:
    """Ask the clinic's staff to look at a conversation; True when that is news (the caller may tell someone).

    While a handover waits its first reason and time are kept, except that an emergency turns any other reason into
    an emergency (staff see the emergencies first). Each handover is a `handovers` row, resolved in the console;
    `announce`: its n8n announcement is pending (gateway/console/announce.py posts it).
    """
    if reason not in HANDOVER_REASONS:
        raise ValueError(f"not a handover reason: {reason}")
    announcement = "pending" if announce else "off"
    async with conn.transaction():
        current = await conn.fetchrow(
            "SELECT needs_human_since, needs_human_reason FROM conversations WHERE id = $1 FOR UPDATE",
            conversation_id,
        )
        if current is None:
            return False
        if current["needs_human_since"] is None:
            since = await conn.fetchval(
                """
                UPDATE conversations SET needs_human_since = now(), needs_human_reason = $2 WHERE id = $1
                RETURNING needs_human_since
                """,
                conversation_id,
                reason,
            )
            await conn.execute(
                """
                INSERT INTO handovers (conversation_id, reason, flagged_at, announcement) VALUES ($1, $2, $3, $4)
                """,
                conversation_id,
                reason,
                since,
                announcement,
            )
            return True
        if reason != "emergency" or current["needs_human_reason"] == "emergency":
            return False
        await conn.execute("UPDATE conversations SET needs_human_reason = 'emergency' WHERE id = $1", conversation_id)
        # Announced again, as the emergency it now is (unless nothing is announced).
        await conn.execute(
            """
            UPDATE handovers SET reason = 'emergency',
                announcement = CASE WHEN $2 THEN 'pending' ELSE announcement END
            WHERE conversation_id = $1 AND resolved_at IS NULL
            """,
            conversation_id,
            announce,
        )
        return True


async def awaiting_person(conn: Connection, *, conversation_id: UUID, cleared_by: Collection[str]) -> bool:
    """Whether the conversation was handed to a person and has had no reply with an action in
    `cleared_by` (a booking, a cancellation, a list) since."""
    waiting: bool | None = await conn.fetchval(
        """
        SELECT c.needs_human_since IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM messages m
            WHERE m.conversation_id = c.id AND m.role = 'assistant'
              AND m.created_at > c.needs_human_since AND m.action = ANY($2::text[])
        )
        FROM conversations c WHERE c.id = $1
        """,
        conversation_id,
        list(cleared_by),
    )
    return bool(waiting)


@dataclass(frozen=True)
class TurnStart:
    """Where a chat turn starts from (`begin_turn`)."""

    inbound: StoredMessage
    # The dialog state as stored (JSON text): `finish_turn` saves the next one only over this one.
    state: str
    # The reply an earlier delivery of the message got stored, if its turn got that far.
    reply: StoredReply | None
    # Handed to a person, with no reply since that shows the patient back in a flow the assistant runs.
    awaiting_person: bool
    # The clinic's version (`clinic_version`): cached doctors and specialties older than it are loaded again.
    clinic_version: int


class KeyRevoked(Exception):
    """The API key that vouched for the turn was revoked since its caller was admitted."""


async def begin_turn(
    conn: Connection,
    *,
    api_key_id: int | None,
    user_phone: str,
    vouched_by: str,
    channel: str,
    idle_after: timedelta,
    inbound_key: str,
    request_id: str,
    contents: dict[str, str],
    cleared_by: Collection[str],
    lease: tuple[str, UUID, float],
) -> TurnStart | None:
    """The inbound message, stored once under `inbound_key` (found again if an earlier delivery stored it) into
    the phone's open conversation, or a new one after `idle_after`; with what the turn needs to know first, in one
    round trip (`chat_turn_begin`, migration 0029).

    `contents`: what to store of the message by the step the dialog waits on, '' for any other step. `lease`: the
    phone's turn lease (key, holder, seconds), taken first; None, doing nothing, while another turn holds it.
    Raises KeyRevoked, storing nothing, when `api_key_id` names a key revoked since.
    """
    row = await conn.fetchrow(
        "SELECT * FROM chat_turn_begin($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::text[], $10, $11, $12)",
        api_key_id,
        user_phone,
        vouched_by,
        channel,
        idle_after,
        inbound_key,
        request_id,
        json.dumps(contents),
        list(cleared_by),
        *lease,
    )
    assert row is not None
    if not row["key_active"]:
        raise KeyRevoked()
    if not row["lease_taken"]:
        return None
    reply = row["reply"]
    found = json.loads(reply) if isinstance(reply, str) else reply
    return TurnStart(
        inbound=StoredMessage(
            id=row["message_id"],
            conversation_id=row["conversation"],
            role="user",
            content=row["stored_content"],
            action=None,
            created_at=row["stored_at"],
        ),
        state=row["state"] if isinstance(row["state"], str) else json.dumps(row["state"]),
        reply=None
        if found is None
        else StoredReply(
            content=found["content"],
            action=found["action"],
            request_id=found["request_id"],
            extras=dict(found["extras"] or {}),
        ),
        awaiting_person=bool(row["awaiting_person"]),
        clinic_version=row["clinic"],
    )


@dataclass(frozen=True)
class NewReply:
    """A template reply to store as the answer to an inbound message (`finish_turn`)."""

    inbound: StoredMessage
    user_phone: str
    content: str
    action: str
    request_id: str
    meta: dict[str, Any]
    extras: dict[str, Any]


async def finish_turn(
    conn: Connection,
    *,
    conversation_id: UUID,
    state_before: str,
    state: dict[str, Any],
    reply: NewReply | None,
    lease: tuple[str, UUID] | None = None,
) -> bool:
    """Save the dialog's next `state`, store the turn's `reply` (if it has one yet) and give back its `lease` (the
    `turn_leases` key and holder; None: kept), in one round trip; False, saving nothing, when the stored state is
    no longer `state_before` (a turn that lost its lease to another).

    A second reply to the same inbound message is refused (asyncpg.UniqueViolationError), as `add_message` does.
    """
    saved: bool = await conn.fetchval(
        """
        WITH saved AS (
            UPDATE conversations
            SET dialog_state = $2::jsonb,
                last_message_at = CASE WHEN $4::text IS NULL THEN last_message_at ELSE now() END
            WHERE id = $1 AND dialog_state = $3::jsonb
            RETURNING id
        ), replied AS (
            INSERT INTO messages (
                conversation_id, user_phone, role, content, action, request_id, meta, reply_to, answer_extras
            )
            SELECT id, $5, 'assistant', $4, $6, $7, $8::jsonb, $9, $10::jsonb FROM saved WHERE $4::text IS NOT NULL
        ), given_back AS (
            DELETE FROM turn_leases WHERE key = $11 AND holder = $12 AND EXISTS (SELECT FROM saved)
        )
        SELECT EXISTS (SELECT FROM saved)
        """,
        conversation_id,
        json.dumps(state),
        state_before,
        None if reply is None else reply.content,
        None if reply is None else reply.user_phone,
        None if reply is None else reply.action,
        None if reply is None else reply.request_id,
        json.dumps({} if reply is None else reply.meta),
        None if reply is None else reply.inbound.id,
        json.dumps({} if reply is None else reply.extras),
        None if lease is None else lease[0],
        None if lease is None else lease[1],
    )
    return saved
