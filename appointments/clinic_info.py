"""What the clinic tells patients about itself, as staff keep it in the `clinic_info` table.

One row per topic; its `details` are parsed into the typed facts below. A row that no longer
parses is treated as missing (the assistant then says it has no information), never guessed at.
"""

from __future__ import annotations

import json
from datetime import time
from enum import StrEnum
from typing import Annotated

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from appointments.repository import Connection

log = structlog.get_logger(__name__)


class Topic(StrEnum):
    """The topics a `clinic_info` row can hold (the table's CHECK lists the same)."""

    PRICES = "prices"
    HOURS = "hours"
    ADDRESS = "address"
    PAYMENT = "payment"
    PREPARATION = "preparation"
    SERVICES = "services"


class Facts(BaseModel):
    """The structured facts of one topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")


Text = Annotated[str, Field(min_length=1, max_length=300)]


class Period(Facts):
    opens: time
    closes: time

    @model_validator(mode="after")
    def _opens_first(self) -> Period:
        if self.opens >= self.closes:
            raise ValueError("a period must open before it closes")
        return self


class Hours(Facts):
    """Opening hours per ISO weekday (1 Monday .. 7 Sunday); a weekday left out is a closed day."""

    weekdays: dict[Annotated[int, Field(ge=1, le=7)], list[Period]]
    # What happens on public holidays, as staff say it ("En los feriados nacionales la clínica está cerrada.").
    holidays: str = ""


class Prices(Facts):
    """The price of a consultation per specialty code, in bolivianos."""

    consultation_bs: dict[str, Annotated[int, Field(gt=0, le=100_000)]]


class Address(Facts):
    street: Text
    area: str = ""
    city: Text
    reference: str = ""
    maps_url: Annotated[str, Field(pattern=r"^(https://\S+)?$")] = ""
    parking: str = ""


class Named(Facts):
    """A payment method or insurer, and the words patients call it by (without accents, lower case)."""

    name: Text
    aliases: list[Text] = []


class Insurer(Named):
    accepted: bool


class Payment(Facts):
    methods: list[Named]
    insurers: list[Insurer] = []


class Preparation(Facts):
    """What to bring to a consultation; `fasting` empty when the clinic has said nothing about it."""

    bring: list[Text]
    fasting: str = ""


class Services(Facts):
    """Services beyond consultations (laboratory, imaging...), as staff list them."""

    offered: list[Named]


_SHAPES: dict[Topic, type[Facts]] = {
    Topic.PRICES: Prices,
    Topic.HOURS: Hours,
    Topic.ADDRESS: Address,
    Topic.PAYMENT: Payment,
    Topic.PREPARATION: Preparation,
    Topic.SERVICES: Services,
}


class ClinicInfo(BaseModel):
    """Every topic the clinic has facts for; None where it has none (or its row does not parse)."""

    model_config = ConfigDict(frozen=True)

    prices: Prices | None = None
    hours: Hours | None = None
    address: Address | None = None
    payment: Payment | None = None
    preparation: Preparation | None = None
    services: Services | None = None
    notes: dict[Topic, str] = {}

    def note(self, topic: Topic) -> str:
        """The sentence staff added to `topic`, or ""."""
        return self.notes.get(topic, "")


def parse_details(topic: Topic, details: object) -> Facts:
    """`details` as the facts of `topic`; raises ValidationError when they do not fit its shape."""
    return _SHAPES[topic].model_validate(details)


async def load(conn: Connection) -> ClinicInfo:
    """The clinic's facts, read fresh (staff may have edited them a moment ago)."""
    rows = await conn.fetch("SELECT topic, details, note FROM clinic_info ORDER BY topic")
    found: dict[str, object] = {}
    notes: dict[Topic, str] = {}
    for row in rows:
        topic = Topic(row["topic"])
        raw = row["details"]
        try:
            found[topic.value] = parse_details(topic, json.loads(raw) if isinstance(raw, str) else raw)
        except ValidationError:
            log.warning("clinic_info_unreadable", topic=topic.value)
            continue
        if row["note"].strip():
            notes[topic] = row["note"].strip()
    return ClinicInfo.model_validate({**found, "notes": notes})


async def put(conn: Connection, *, topic: Topic, details: Facts, note: str = "") -> None:
    """Create or replace the row of `topic`."""
    await conn.execute(
        """
        INSERT INTO clinic_info (topic, details, note) VALUES ($1, $2::jsonb, $3)
        ON CONFLICT (topic) DO UPDATE SET details = EXCLUDED.details, note = EXCLUDED.note, updated_at = now()
        """,
        topic.value,
        details.model_dump_json(),
        note,
    )


async def remove(conn: Connection, *, topic: Topic) -> None:
    """Delete the row of `topic`: the assistant then says it has no information about it."""
    await conn.execute("DELETE FROM clinic_info WHERE topic = $1", topic.value)
