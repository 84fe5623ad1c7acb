"""The console's "Conversaciones": conversations that wait for a person, their transcripts, and *Resolver*.

Waiting means `conversations.needs_human_since` is set (gateway/conversation/repository.py `flag_for_human`): the
assistant then answers only that someone from the team will write (service.py `_awaiting_person`). *Resolver*
clears it, closes the conversation's open `handovers` row with the person who pressed it, and audits that; the
assistant answers normally again from the patient's next message. (A verification lockout is not lifted by it: it
lasts its time or until staff unlock the phone.)

Order: emergencies, then requests for a person, then failed verifications; within each, whoever has waited
longest first.

Who sees what: `recepcion` and `admin` see every waiting conversation. A `medico` sees the emergencies (anyone may
have to act on one) and the conversations of their own patients (a patient with any appointment with their doctor,
matched by phone); any other conversation is, to them, one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from gateway import audit
from gateway.console import outbox
from gateway.console.agenda import masked_phone
from gateway.console.repository import StaffUser
from gateway.db import Connection

REASONS: Final = ("emergency", "human_handoff", "verification_failed")
REASON_NAMES: Final[dict[str, str]] = {
    "emergency": "Emergencia",
    "human_handoff": "Pide hablar con una persona",
    "verification_failed": "Verificación fallida",
}
SPEAKERS: Final[dict[str, str]] = {"user": "Paciente", "assistant": "Asistente"}
SNIPPET_CHARS: Final = 140
_AUDIT_ACTION: Final = "handover.resolved"
_REPLY_ACTION: Final = "handover.replied"


class ConversationNotFound(LookupError):
    """No such conversation, or one this person may not see."""


@dataclass(frozen=True)
class Waiting:
    """One conversation as the inbox lists it."""

    conversation_id: UUID
    reason: str
    reason_name: str
    flagged_at: datetime
    waited: timedelta
    phone: str
    patient_name: str | None
    last_message: str | None
    replied_by: str | None = None
    replied_at: datetime | None = None
    """The person of the team who last answered since the conversation was flagged, and when (None: nobody yet)."""


@dataclass(frozen=True)
class WroteAfter:
    """A conversation handed back with *Resolver* in which the patient has written since: perhaps answering what
    the person asked, which the assistant cannot know."""

    conversation_id: UUID
    resolved_at: datetime
    resolved_by: str
    phone: str
    patient_name: str | None
    new_messages: int
    last_message: str | None


@dataclass(frozen=True)
class Line:
    """One message of a transcript."""

    id: int
    speaker: str
    role: str
    content: str
    at: datetime


@dataclass(frozen=True)
class Conversation:
    """A conversation with its whole transcript, oldest message first."""

    id: UUID
    phone: str
    patient_name: str | None
    channel: str
    reason: str | None
    reason_name: str | None
    flagged_at: datetime | None
    lines: list[Line]
    patient_id: int | None = None
    """The registered patient whose phone this is, when `user` may open their record (same rule as Pacientes)."""

    @property
    def waiting(self) -> bool:
        return self.flagged_at is not None


def speaker(role: str, staff_name: str | None = None) -> str:
    """Who wrote a message, as staff read it: Paciente, Asistente, Personal: <name>, or the role itself."""
    if role == "staff":
        return f"Personal: {staff_name}" if staff_name else "Personal"
    return SPEAKERS.get(role, role)


def snippet(text: str | None) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _doctor_scope(user: StaffUser) -> int | None:
    """The doctor whose patients a medico sees (0 for a medico linked to none: only emergencies); None: everyone."""
    if user.role != "medico":
        return None
    return user.doctor_id or 0


# Each query below takes the doctor of `_doctor_scope` as $1 and repeats the same visibility condition: a medico's
# conversations are the emergencies and those of patients with an appointment with their doctor (NULL: all).


async def waiting(conn: Connection, *, user: StaffUser) -> list[Waiting]:
    """The conversations waiting for a person that `user` may see, in the order they should be answered."""
    rows = await conn.fetch(
        """
        SELECT c.id, c.user_phone, c.needs_human_reason AS reason, c.needs_human_since AS flagged_at,
               greatest(now() - c.needs_human_since, interval '0') AS waited, p.full_name,
               (SELECT m.content FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user'
                ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_message,
               r.full_name AS replied_by, r.created_at AS replied_at
        FROM conversations c LEFT JOIN patients p ON p.phone = c.user_phone
        LEFT JOIN LATERAL (
            SELECT s.full_name, m.created_at FROM messages m JOIN staff_users s ON s.id = m.staff_user_id
            WHERE m.conversation_id = c.id AND m.role = 'staff' AND m.created_at >= c.needs_human_since
            ORDER BY m.created_at DESC, m.id DESC LIMIT 1
        ) r ON true
        WHERE c.needs_human_since IS NOT NULL AND (
            $1::bigint IS NULL OR c.needs_human_reason = 'emergency'
            OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1)
        )
        ORDER BY array_position($2::text[], c.needs_human_reason), c.needs_human_since, c.id
        """,
        _doctor_scope(user),
        list(REASONS),
    )
    return [
        Waiting(
            conversation_id=r["id"],
            reason=r["reason"],
            reason_name=REASON_NAMES.get(r["reason"], r["reason"]),
            flagged_at=r["flagged_at"],
            waited=r["waited"],
            phone=masked_phone(r["user_phone"]),
            patient_name=r["full_name"],
            last_message=snippet(r["last_message"]),
            replied_by=r["replied_by"],
            replied_at=r["replied_at"],
        )
        for r in rows
    ]


async def wrote_after_resolved(
    conn: Connection, *, user: StaffUser, within: timedelta = timedelta(hours=24)
) -> list[WroteAfter]:
    """Conversations `user` may see, no longer waiting, whose last handover was resolved within `within` and in
    which the patient wrote after it, latest first: a person may want to read them."""
    rows = await conn.fetch(
        """
        SELECT c.id, c.user_phone, h.resolved_at, s.full_name AS resolved_by, p.full_name,
               count(m.id) AS new_messages,
               (array_agg(m.content ORDER BY m.created_at DESC, m.id DESC))[1] AS last_message
        FROM conversations c
        JOIN LATERAL (
            SELECT resolved_at, resolved_by FROM handovers
            WHERE conversation_id = c.id ORDER BY flagged_at DESC, id DESC LIMIT 1
        ) h ON h.resolved_at >= now() - $3::interval
        JOIN staff_users s ON s.id = h.resolved_by
        JOIN messages m ON m.conversation_id = c.id AND m.role = 'user' AND m.created_at > h.resolved_at
        LEFT JOIN patients p ON p.phone = c.user_phone
        WHERE c.needs_human_since IS NULL AND (
            $1::bigint IS NULL OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1)
        )
        GROUP BY c.id, c.user_phone, h.resolved_at, s.full_name, p.full_name
        ORDER BY max(m.created_at) DESC
        LIMIT $2
        """,
        _doctor_scope(user),
        20,
        within,
    )
    return [
        WroteAfter(
            conversation_id=r["id"],
            resolved_at=r["resolved_at"],
            resolved_by=r["resolved_by"],
            phone=masked_phone(r["user_phone"]),
            patient_name=r["full_name"],
            new_messages=r["new_messages"],
            last_message=snippet(r["last_message"]),
        )
        for r in rows
    ]


async def waiting_count(conn: Connection, *, user: StaffUser | None = None) -> int:
    """How many conversations wait for a person (those `user` may see; None: all of them)."""
    count: int = await conn.fetchval(
        """
        SELECT count(*) FROM conversations c LEFT JOIN patients p ON p.phone = c.user_phone
        WHERE c.needs_human_since IS NOT NULL AND (
            $1::bigint IS NULL OR c.needs_human_reason = 'emergency'
            OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1)
        )
        """,
        None if user is None else _doctor_scope(user),
    )
    return count


async def _header(conn: Connection, user: StaffUser, conversation_id: UUID) -> Any:
    # record_visible: Pacientes' rule (gateway/console/patients.py): a medico opens only the records of patients with
    # an appointment with their doctor (none at all without a doctor: scope 0 matches no appointment).
    return await conn.fetchrow(
        """
        SELECT c.id, c.user_phone, c.channel, c.needs_human_reason AS reason, c.needs_human_since AS flagged_at,
               p.full_name, p.id AS patient_id,
               ($1::bigint IS NULL
                OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1)) AS record_visible
        FROM conversations c LEFT JOIN patients p ON p.phone = c.user_phone
        WHERE c.id = $2 AND (
            $1::bigint IS NULL OR c.needs_human_reason = 'emergency'
            OR EXISTS (SELECT FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = $1)
        )
        """,
        _doctor_scope(user),
        conversation_id,
    )


async def conversation(conn: Connection, *, user: StaffUser, conversation_id: UUID) -> Conversation:
    """One conversation and all its messages, oldest first; ConversationNotFound if `user` may not see it.

    A message with role `staff` names the person who wrote it (messages.staff_user_id).
    """
    header = await _header(conn, user, conversation_id)
    if header is None:
        raise ConversationNotFound(str(conversation_id))
    rows = await conn.fetch(
        """
        SELECT m.id, m.role, m.content, m.created_at, s.full_name AS staff_name
        FROM messages m
        LEFT JOIN staff_users s ON s.id = m.staff_user_id
        WHERE m.conversation_id = $1
        ORDER BY m.created_at, m.id
        """,
        conversation_id,
    )
    reason = header["reason"]
    return Conversation(
        id=header["id"],
        phone=masked_phone(header["user_phone"]),
        patient_name=header["full_name"],
        channel=header["channel"],
        reason=reason,
        reason_name=REASON_NAMES.get(reason, reason) if reason else None,
        flagged_at=header["flagged_at"],
        patient_id=header["patient_id"] if header["record_visible"] else None,
        lines=[
            Line(
                id=r["id"],
                speaker=speaker(r["role"], r["staff_name"]),
                role=r["role"],
                content=r["content"],
                at=r["created_at"],
            )
            for r in rows
        ],
    )


async def resolve(conn: Connection, *, user: StaffUser, conversation_id: UUID) -> bool:
    """Hand the conversation back to the assistant; audited with `user` as the actor.

    True when it was waiting; False when it no longer was (another person resolved it first): nothing changes then.
    ConversationNotFound when `user` may not see it.
    """
    actor = audit.staff_user_actor(user.id)
    target = f"conversation:{conversation_id}"
    async with conn.transaction():
        # Taken in turn with the patient's messages (their turn locks the row too) and with another person's click.
        await conn.execute("SELECT FROM conversations WHERE id = $1 FOR UPDATE", conversation_id)
        header = await _header(conn, user, conversation_id)
        if header is None:
            raise ConversationNotFound(str(conversation_id))
        if header["flagged_at"] is None:
            return False
        handover = await conn.fetchrow(
            """
            UPDATE handovers SET resolved_at = now(), resolved_by = $2
            WHERE conversation_id = $1 AND resolved_at IS NULL
            RETURNING id, flagged_at, resolved_at
            """,
            conversation_id,
            user.id,
        )
        await conn.execute(
            "UPDATE conversations SET needs_human_since = NULL, needs_human_reason = NULL WHERE id = $1",
            conversation_id,
        )
        detail: dict[str, audit.DetailValue] = {"reason": header["reason"]}
        if handover is not None:
            detail["handover_id"] = handover["id"]
            detail["waited_seconds"] = max(0, round((handover["resolved_at"] - handover["flagged_at"]).total_seconds()))
        await audit.record(conn, actor=actor, action=_AUDIT_ACTION, outcome="success", target=target, detail=detail)
    return True


async def reply(
    conn: Connection, *, user: StaffUser, conversation_id: UUID, text: str, now: datetime
) -> outbox.QueuedMessage:
    """Send the patient `text` from `user`: stored in the conversation as theirs and queued for WhatsApp (free text
    inside the 24-hour window, the approved template past it), audited. The conversation stays with a person until
    *Resolver*. Hand the result to `outbox.send_now` after this returns (committed).

    ConversationNotFound when `user` may not see it; outbox.StaffMessageRefused for an empty or too long text.
    """
    async with conn.transaction():
        if await _header(conn, user, conversation_id) is None:
            raise ConversationNotFound(str(conversation_id))
        queued = await outbox.queue_reply(
            conn, staff_user_id=user.id, conversation_id=conversation_id, text=text, now=now
        )
        detail: dict[str, audit.DetailValue] = {"outbox_id": queued.id, "as_template": queued.as_template}
        await audit.record(
            conn,
            actor=audit.staff_user_actor(user.id),
            action=_REPLY_ACTION,
            outcome="success",
            target=f"conversation:{conversation_id}",
            detail=detail,
        )
    return queued


@dataclass(frozen=True)
class Handover:
    """One flag of a conversation, open or resolved: the history *Resolver* leaves."""

    id: int
    reason: str
    flagged_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


async def history(conn: Connection, *, conversation_id: UUID) -> list[Handover]:
    """Every handover of a conversation, oldest first, with who resolved each."""
    rows = await conn.fetch(
        """
        SELECT h.id, h.reason, h.flagged_at, h.resolved_at, s.full_name
        FROM handovers h LEFT JOIN staff_users s ON s.id = h.resolved_by
        WHERE h.conversation_id = $1 ORDER BY h.flagged_at, h.id
        """,
        conversation_id,
    )
    return [Handover(r["id"], r["reason"], r["flagged_at"], r["resolved_at"], r["full_name"]) for r in rows]
