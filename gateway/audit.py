"""The audit log: who did what to which record, how it went, and when. Append-only.

Call `record` inside the transaction of the change it describes, so both are kept or neither is.
The table refuses UPDATE, DELETE and TRUNCATE (migrations/0007_audit_log.sql).

Actors (the helpers below build them):
    patient:<id>                   an identified patient (`patient_actor`)
    phone:<E.164>                  someone writing from a phone, not yet identified (`phone_actor`)
    staff:<key name>#<key id>      a staff tool, by its API key (`staff_actor`)
    staff_user:<id>                a person signed in to the staff console (`staff_user_actor`)
    api_key:<prefix>               a presented API key that was refused (`api_key_actor`; the prefix only)
    anonymous                      a caller who presented no key
    system:<job>                   the gateway itself (reminders, clean-ups)

Targets: `appointment:<uuid>` (`appointment_target`), `patient:<id>` (`patient_actor` reads the same),
`staff_user:<id>` (`staff_user_actor` reads the same), `conversation:<uuid>`,
`clinic_info:<topic>` (what the clinic tells patients),
or None when nothing in particular was acted on.

Actions (dotted; add new ones here):
    verification.identity          a patient answered the identity question; detail method: date_of_birth | last4
                                   (denied: no date of birth on file, a person takes over)
    verification.code_sent         an SMS code was sent
    verification.code_checked      a patient entered an SMS code
    verification.unlocked          staff lifted a phone's verification lockout (detail: the phone, masked), through the
                                   API or a console user on a patient's record (target: the phone's holder)
    patient.registered             someone not yet a patient registered (after the SMS code); denied with detail
                                   reason document_on_file: the carnet is another patient's, a person checks
    patient.member_added           a verified holder added a family member to their phone (target: the member)
    appointments.viewed            a patient listed their appointments
    appointment.booked             an appointment was booked
    appointment.cancelled          an appointment was cancelled
    appointment.rescheduled        an appointment was moved
    appointment.outcome_set        staff recorded completed / no_show (through the API, or a console user on Hoy, whose
                                   entries carry previous_status: booked, or the outcome a correction replaced;
                                   failure reason outcome_settled: past the 24 hours a correction is allowed)
    waitlist.joined                a verified patient joined the waitlist (or widened the days of an entry)
    waitlist.left                  someone writing from the phone left its waitlist entries (detail: how many)
    waitlist.offer_taken           a "sí" to a waitlist offer that could not book it (denied; detail: reason);
                                   one that did is audited as appointment.booked with detail via: waitlist
    staff.appointments.viewed      staff listed a day's appointments
    patients.searched              a console user searched patients (detail by: phone | name, count; never the query)
    patient.viewed                 a console user opened a patient's record (denied: a medico, another doctor's
                                   patient)
    staff.availability.viewed      staff looked at free slots
    staff.doctors.viewed           staff listed the doctors
    staff.whatsapp_failed.viewed   staff listed the WhatsApp messages given up on (detail: how many)
    staff.reminders.viewed         staff listed a day's reminders (detail: date, doctor, status, how many)
    staff.auth                     a /staff call refused (401, 403): target `route:<template>`, outcome denied
    staff.login                    a console sign-in (detail client_ip; failure reason: wrong_password,
                                   unknown_email (actor anonymous), disabled; locked: the failure that locked the
                                   account, and every attempt while it is locked)
    staff.logout                   a person signed out of the console
    handover.resolved              a console user handed a conversation waiting for a person back to the assistant
                                   (target conversation:<uuid>; detail reason, handover_id, waited_seconds)
    handover.replied               a console user wrote to the patient of a waiting conversation (detail
                                   outbox_id: the staff_messages row, as_template: past WhatsApp's 24-hour window)
    staff_user.created             an operator added a console user (actor system:cli; detail role)
    staff_user.disabled            an operator disabled a console user and ended their sessions (actor system:cli)
    clinic_info.updated            a console user saved a topic of Clínica (detail topic, revision_id: the whole
                                   before/after in clinic_info_revisions, changed: the fields); denied: a medico
                                   (detail role); conflict: someone else saved it after the form was opened

Outcomes:
    success
    failure      refused by the rules (a wrong code or last 4 digits, an appointment already cancelled)
    denied       not allowed to (another patient's appointment)
    locked       too many failures: locked out for a while
    limited      rate limited (too many codes asked for, MAX_UPCOMING_APPOINTMENTS reached)
    expired      a code past its lifetime
    conflict     lost a race (the slot was just taken)
    error        something broke (the SMS provider failed)

Never secrets or what people wrote: `record` refuses detail keys that could carry an OTP or message
text (any `_`-separated part among FORBIDDEN_DETAIL_WORDS, e.g. `code`, `otp_hash`, `message_text`)
and string values longer than MAX_DETAIL_STRING characters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

import asyncpg

from gateway.db import Connection
from gateway.security.api_keys import ApiKey

DetailValue = str | int | float | bool | None

OUTCOMES: Final = frozenset({"success", "failure", "denied", "locked", "limited", "expired", "conflict", "error"})
FORBIDDEN_DETAIL_WORDS: Final = frozenset(
    {
        # secrets
        "code", "otp", "pin", "passcode", "password", "secret", "token", "hash", "last4", "digits", "document",
        # what people wrote or were told
        "text", "message", "messages", "content", "body", "reply", "response", "transcript",
    }
)  # fmt: skip
MAX_DETAIL_STRING: Final = 200
MAX_DETAIL_KEYS: Final = 20
MAX_RECENT: Final = 1000

# Matched with fullmatch: `$` would let a trailing newline through.
_ACTOR = re.compile(r"(patient|phone|staff|staff_user|system|api_key):\S.{0,190}|anonymous")
_ACTION = re.compile(r"[a-z_]+(\.[a-z0-9_]+)+")
_TARGET = re.compile(r"[a-z_]+:\S.{0,190}")
_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    actor: str
    action: str
    target: str | None
    outcome: str
    detail: Mapping[str, DetailValue]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AuditEntry:
        return cls(
            id=row["id"],
            occurred_at=row["occurred_at"],
            actor=row["actor"],
            action=row["action"],
            target=row["target"],
            outcome=row["outcome"],
            detail=json.loads(row["detail"]),
        )


def patient_actor(patient_id: int) -> str:
    """`patient:42`; also the target when a patient's data is what was acted on."""
    if patient_id <= 0:
        raise ValueError("patient_id must be positive")
    return f"patient:{patient_id}"


def phone_actor(phone: str) -> str:
    """`phone:+59170123456`: someone not yet identified as a patient."""
    if not _E164.fullmatch(phone):
        raise ValueError("phone must be in E.164, e.g. +59170123456")
    return f"phone:{phone}"


def staff_actor(key: ApiKey) -> str:
    """`staff:<key name>#<key id>`: the id tells apart keys that share a name."""
    name = " ".join(key.name.split())[:100]  # one line, however the key was named
    return f"staff:{name}#{key.id}"


def staff_user_actor(user_id: int) -> str:
    """`staff_user:7`: a person of the console; also the target when their account is what was acted on."""
    if user_id <= 0:
        raise ValueError("user_id must be positive")
    return f"staff_user:{user_id}"


ANONYMOUS: Final = "anonymous"


def api_key_actor(prefix: str) -> str:
    """`api_key:1a2b3c4d`: a key known only by the prefix it presented (refused, or not yet identified)."""
    if not re.fullmatch(r"[0-9a-f]{8}", prefix):
        raise ValueError("prefix must be 8 lowercase hex digits")
    return f"api_key:{prefix}"


def appointment_target(appointment_id: UUID) -> str:
    return f"appointment:{appointment_id}"


def _check_detail(detail: Mapping[str, DetailValue]) -> str:
    """The detail as a JSON object, or ValueError when it could leak a secret or message text."""
    if len(detail) > MAX_DETAIL_KEYS:
        raise ValueError(f"audit detail: at most {MAX_DETAIL_KEYS} keys")
    # Typed callers cannot pass anything else, but a dict built at run time can.
    items: list[tuple[object, object]] = list(detail.items())
    for key, value in items:
        if not isinstance(key, str) or not _DETAIL_KEY.fullmatch(key):
            raise ValueError(f"audit detail key {key!r}: use snake_case, at most 40 characters")
        forbidden = FORBIDDEN_DETAIL_WORDS.intersection(key.split("_"))
        if forbidden:
            raise ValueError(f"audit detail key {key!r} could carry a secret or message text ({min(forbidden)})")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(f"audit detail {key!r}: only str, int, float, bool or None values")
        if isinstance(value, str) and len(value) > MAX_DETAIL_STRING:
            raise ValueError(f"audit detail {key!r}: strings are at most {MAX_DETAIL_STRING} characters")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"audit detail {key!r}: numbers must be finite")
    return json.dumps(dict(detail), ensure_ascii=False)


async def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    outcome: str,
    target: str | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> None:
    """Append one entry. Raises ValueError on a malformed actor, action, outcome, target or detail."""
    if not _ACTOR.fullmatch(actor):
        raise ValueError(f"audit actor {actor!r}: build it with patient_actor, phone_actor or staff_actor")
    if not _ACTION.fullmatch(action) or len(action) > 100:
        raise ValueError(f"audit action {action!r}: dotted lowercase words, e.g. appointment.cancelled")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome {outcome!r}: one of {sorted(OUTCOMES)}")
    if target is not None and not _TARGET.fullmatch(target):
        raise ValueError(f"audit target {target!r}: kind:id, e.g. appointment:<uuid>")
    await conn.execute(
        "INSERT INTO audit_log (actor, action, target, outcome, detail) VALUES ($1, $2, $3, $4, $5::jsonb)",
        actor,
        action,
        target,
        outcome,
        _check_detail(detail or {}),
    )


async def recent(
    conn: Connection,
    *,
    limit: int = 100,
    actor: str | None = None,
    target: str | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """The latest entries, newest first, optionally only one actor's, target's or action's."""
    if not 1 <= limit <= MAX_RECENT:
        raise ValueError(f"limit must be 1..{MAX_RECENT}")
    rows = await conn.fetch(
        """
        SELECT id, occurred_at, actor, action, target, outcome, detail FROM audit_log
        WHERE ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR target = $3)
          AND ($4::text IS NULL OR action = $4)
        ORDER BY occurred_at DESC, id DESC
        LIMIT $1
        """,
        limit,
        actor,
        target,
        action,
    )
    return [AuditEntry.from_row(row) for row in rows]
