"""The console's "Clínica": what the clinic tells patients (`clinic_info`), read for the page and edited by staff.

Only facts that appointments/clinic_info.py parses are saved, checked the way the assistant reads them back, so an
edit never leaves a topic the assistant would treat as missing. Each save keeps the whole before and after in
clinic_info_revisions and writes an audit entry (actor `staff_user:<id>`) naming the fields that changed. The
assistant loads these rows fresh on every turn, so an edit answers the next message, whichever gateway copy takes it.
`recepcion` and `admin` edit; a `medico` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Final

from pydantic import ValidationError

from appointments import clinic_info
from appointments.clinic_info import Facts, Topic
from gateway import audit
from gateway.console.repository import StaffUser
from gateway.db import Connection
from gateway.errors import Forbidden, GatewayError

EDITORS: Final = frozenset({"admin", "recepcion"})
# The page's order: where the clinic is and when it opens first, as patients ask.
ORDER: Final = (Topic.ADDRESS, Topic.HOURS, Topic.PRICES, Topic.PAYMENT, Topic.PREPARATION, Topic.SERVICES)
TITLES: Final[Mapping[Topic, str]] = {
    Topic.ADDRESS: "Dirección",
    Topic.HOURS: "Horario de atención",
    Topic.PRICES: "Precios de consulta",
    Topic.PAYMENT: "Formas de pago y seguros",
    Topic.PREPARATION: "Qué traer a la consulta",
    Topic.SERVICES: "Otros servicios",
}
# How each topic reads in the page's address (/console/clinica/<slug>).
SLUGS: Final[Mapping[Topic, str]] = {
    Topic.ADDRESS: "direccion",
    Topic.HOURS: "horario",
    Topic.PRICES: "precios",
    Topic.PAYMENT: "pagos",
    Topic.PREPARATION: "preparacion",
    Topic.SERVICES: "servicios",
}
TOPIC_OF_SLUG: Final[Mapping[str, Topic]] = {slug: topic for topic, slug in SLUGS.items()}
MAX_NOTE: Final = 500
ACTION: Final = "clinic_info.updated"


class NotAnEditor(Forbidden):
    """A medico (or any role but recepcion and admin) tried to change what the clinic tells patients."""

    code = "clinic_edit_forbidden"


class EditedMeanwhile(GatewayError):
    """Someone saved the topic after this form was opened: saving would silently undo their change."""

    code = "clinic_info_changed"


class Invalid(ValueError):
    """What staff typed does not make facts the assistant can answer from; `errors`: Spanish, by form field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Stored:
    """One topic as kept: its facts (None: no row, or a row the assistant cannot read), note and version."""

    topic: Topic
    facts: Facts | None
    note: str
    updated_at: datetime | None
    # A row exists but its details do not parse: the assistant says it has no information until it is saved again.
    unreadable: bool = False

    @property
    def title(self) -> str:
        return TITLES[self.topic]

    @property
    def slug(self) -> str:
        return SLUGS[self.topic]

    @property
    def version(self) -> str:
        """What the edit form carries back, so a save notices an edit made meanwhile ("" for no row)."""
        return self.updated_at.isoformat() if self.updated_at else ""


@dataclass(frozen=True)
class Saved:
    topic: Topic
    revision_id: int
    changed: tuple[str, ...]


def can_edit(user: StaffUser) -> bool:
    return user.role in EDITORS


def _stored(topic: Topic, row: Mapping[str, object] | None) -> Stored:
    if row is None:
        return Stored(topic=topic, facts=None, note="", updated_at=None)
    raw = row["details"]
    note = str(row["note"])
    updated_at = row["updated_at"]
    assert isinstance(updated_at, datetime)
    try:
        facts = clinic_info.parse_details(topic, json.loads(raw) if isinstance(raw, str) else raw)
    except ValidationError:
        return Stored(topic=topic, facts=None, note=note, updated_at=updated_at, unreadable=True)
    return Stored(topic=topic, facts=facts, note=note, updated_at=updated_at)


async def load_all(conn: Connection) -> list[Stored]:
    """Every topic in the page's order, with or without a row."""
    rows = await conn.fetch("SELECT topic, details, note, updated_at FROM clinic_info")
    by_topic = {Topic(row["topic"]): dict(row) for row in rows}
    return [_stored(topic, by_topic.get(topic)) for topic in ORDER]


async def load(conn: Connection, topic: Topic) -> Stored:
    row = await conn.fetchrow("SELECT details, note, updated_at FROM clinic_info WHERE topic = $1", topic.value)
    return _stored(topic, None if row is None else dict(row))


@dataclass(frozen=True)
class OutsideHours:
    """A doctor's bookable hours (doctor_schedules) that fall outside the opening hours the assistant tells."""

    doctor: str
    weekday: int
    starts: time
    ends: time


async def schedules_outside(conn: Connection, hours: clinic_info.Hours) -> list[OutsideHours]:
    """The active doctors' weekly bookable hours that no opening period of `hours` contains.

    The opening hours are what the assistant tells patients; the slots it offers come from each doctor's schedule.
    Staff edit the first here, so the page says where the two disagree rather than letting a patient be booked at
    08:00 at a clinic that says it opens at 09:00.
    """
    rows = await conn.fetch(
        """
        SELECT d.full_name, s.weekday, s.start_time, s.end_time
        FROM doctor_schedules s JOIN doctors d ON d.id = s.doctor_id
        WHERE d.active
        ORDER BY s.weekday, s.start_time, d.full_name
        """
    )
    return [
        OutsideHours(doctor=row["full_name"], weekday=row["weekday"], starts=row["start_time"], ends=row["end_time"])
        for row in rows
        if not any(
            period.opens <= row["start_time"] and row["end_time"] <= period.closes
            for period in hours.weekdays.get(row["weekday"], [])
        )
    ]


def readable(topic: Topic, facts: Facts) -> Facts:
    """`facts` as the assistant will read them back from the database; Invalid (by field) when they would not be."""
    try:
        return clinic_info.parse_details(topic, json.loads(facts.model_dump_json()))
    except ValidationError as exc:
        raise Invalid({_field(error["loc"]): "Este dato no es válido." for error in exc.errors()}) from None


def _field(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]) if loc else "details"


def changed_fields(before: object, after: object, path: str = "") -> list[str]:
    """The dotted paths whose values differ ("consultation_bs.cardiologia", "weekdays.6"); lists compare whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed: list[str] = []
        for key in sorted({*before, *after}, key=str):
            changed += changed_fields(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return changed
    return [] if before == after else [path or "details"]


def _summary(changed: list[str]) -> str:
    """The changed paths as one audit detail value (at most audit.MAX_DETAIL_STRING characters)."""
    text = ", ".join(changed)
    if len(text) <= audit.MAX_DETAIL_STRING:
        return text
    return text[: audit.MAX_DETAIL_STRING - 1].rsplit(", ", 1)[0] + "…"


def _target(topic: Topic) -> str:
    return f"clinic_info:{topic.value}"


async def check_editor(conn: Connection, *, user: StaffUser, topic: Topic) -> None:
    """NotAnEditor, audited as denied, unless `user` may change `topic`."""
    if can_edit(user):
        return
    detail: dict[str, audit.DetailValue] = {"topic": topic.value, "role": user.role}
    await audit.record(
        conn,
        actor=audit.staff_user_actor(user.id),
        action=ACTION,
        outcome="denied",
        target=_target(topic),
        detail=detail,
    )
    raise NotAnEditor("only reception and administration change what the clinic tells patients")


async def save(conn: Connection, *, user: StaffUser, topic: Topic, facts: Facts, note: str, version: str) -> Saved:
    """Replace `topic` with `facts` and `note` for `user`, whole before/after kept and audited.

    NotAnEditor for a medico (audited denied), EditedMeanwhile when the row changed after `version` (audited
    conflict), Invalid when the facts or note would not be read back as they are.
    """
    await check_editor(conn, user=user, topic=topic)
    actor = audit.staff_user_actor(user.id)
    target = _target(topic)
    detail: dict[str, audit.DetailValue] = {"topic": topic.value}
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid({"note": f"La nota puede tener hasta {MAX_NOTE} caracteres."})
    facts = readable(topic, facts)
    after = json.loads(facts.model_dump_json())
    try:
        async with conn.transaction():
            # Two first saves of a topic that has no row yet have no row to lock: they take turns here instead.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", target)
            row = await conn.fetchrow(
                "SELECT details, note, updated_at FROM clinic_info WHERE topic = $1 FOR UPDATE", topic.value
            )
            current = "" if row is None else row["updated_at"].isoformat()
            if current != version:
                raise EditedMeanwhile("this topic was saved by someone else after the form was opened")
            before = None if row is None else json.loads(row["details"])
            changed = changed_fields(before, after) if before is not None else ["details"]
            if row is None or row["note"] != note:
                changed.append("note")
            await clinic_info.put(conn, topic=topic, details=facts, note=note)
            revision_id: int = await conn.fetchval(
                """
                INSERT INTO clinic_info_revisions (topic, actor, details_before, note_before, details_after, note_after)
                VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6) RETURNING id
                """,
                topic.value,
                actor,
                None if row is None else row["details"],
                None if row is None else row["note"],
                facts.model_dump_json(),
                note,
            )
            detail |= {"revision_id": revision_id, "changed": _summary(changed) or "nothing"}
            await audit.record(conn, actor=actor, action=ACTION, outcome="success", target=target, detail=detail)
    except EditedMeanwhile:
        await audit.record(conn, actor=actor, action=ACTION, outcome="conflict", target=target, detail=detail)
        raise
    return Saved(topic=topic, revision_id=revision_id, changed=tuple(changed))


@dataclass(frozen=True)
class Revision:
    id: int
    topic: Topic
    actor: str
    changed_at: datetime
    details_before: dict[str, object] | None
    note_before: str | None
    details_after: dict[str, object]
    note_after: str


async def revisions(conn: Connection, *, topic: Topic, limit: int = 20) -> list[Revision]:
    """The latest saved edits of `topic`, newest first."""
    rows = await conn.fetch(
        """
        SELECT id, topic, actor, changed_at, details_before, note_before, details_after, note_after
        FROM clinic_info_revisions WHERE topic = $1 ORDER BY changed_at DESC, id DESC LIMIT $2
        """,
        topic.value,
        limit,
    )
    return [
        Revision(
            id=r["id"],
            topic=Topic(r["topic"]),
            actor=r["actor"],
            changed_at=r["changed_at"],
            details_before=None if r["details_before"] is None else json.loads(r["details_before"]),
            note_before=r["note_before"],
            details_after=json.loads(r["details_after"]),
            note_after=r["note_after"],
        )
        for r in rows
    ]
