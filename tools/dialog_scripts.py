"""Scripted conversations for `make eval-dialog`: one YAML file each, read into `Script`.

A script says who writes (a phone), what the clinic holds before the first message (setup), what the patient
writes (turns) and where the conversation should end (expect). Verification is not scripted: the replayer
answers the identity question and the SMS code itself, so a script is only about what the patient wants.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CLINIC_ZONE = ZoneInfo("America/La_Paz")
# Monday 30 November 2026, 09:00 in La Paz: the week of issue 16's examples, so "el viernes" is Friday
# 4 December and "el lunes" Monday 7 December, and no clinic holiday is near (the demo's are 24-25 December).
DEFAULT_NOW = datetime(2026, 11, 30, 9, 0, tzinfo=CLINIC_ZONE)


class EndState(StrEnum):
    """Where a conversation leaves the clinic's appointments (and whether a person must take over)."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    HANDED_OVER = "handed_over"
    NOTHING_BOOKED = "nothing_booked"


def clinic_time(value: object) -> object:
    """A local clinic time written as "2026-12-04 15:00" (or a datetime YAML already read) -> aware datetime."""
    if isinstance(value, str):
        value = datetime.strptime(value, "%Y-%m-%d %H:%M")
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=CLINIC_ZONE)
    return value


LocalTime = Annotated[datetime, BeforeValidator(clinic_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LongText(_Strict):
    """A message too long to write out in a script: `text` repeated and cut at exactly `chars` characters."""

    text: str = Field(min_length=1)
    chars: int = Field(ge=1)

    def render(self) -> str:
        repeated = (self.text.strip() + " ") * (self.chars // (len(self.text.strip()) + 1) + 1)
        return repeated[: self.chars]


Turn = Annotated[str, Field(min_length=1)] | LongText


class Booked(_Strict):
    """An appointment the clinic already holds for the script's phone: with `doctor`, or the first doctor
    of `specialty` (a code, e.g. dermatologia), starting at `at` (local time)."""

    at: LocalTime
    doctor: str | None = None
    specialty: str | None = None

    @model_validator(mode="after")
    def _one_doctor(self) -> Booked:
        if (self.doctor is None) == (self.specialty is None):
            raise ValueError("give either doctor or specialty")
        return self


class Setup(_Strict):
    appointments: list[Booked] = []


class Expect(_Strict):
    """The intended end state, and optional checks of the appointment it concerns (the one booked or moved)."""

    end: EndState
    at: LocalTime | None = None
    # The local day, where the script does not care which time of it.
    day: date | None = None
    specialty: str | None = None
    # A word of the name of the patient the appointment is for (family bookings).
    patient: str | None = None
    # Booked appointments from the clinic clock on, across the conversation's database.
    upcoming: int | None = Field(default=None, ge=0)


class Script(_Strict):
    title: str = Field(min_length=1)
    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$")
    # The date of birth the patient gives when asked (dd/mm/yyyy); default: the demo patient's with this phone.
    born: str | None = None
    now: LocalTime = DEFAULT_NOW
    setup: Setup = Setup()
    turns: list[Turn] = Field(min_length=1)
    expect: Expect
    # What the script checks that the end state cannot show yet (e.g. whom a family booking is for).
    note: str | None = None

    @property
    def checks_appointment(self) -> bool:
        return any(v is not None for v in (self.expect.at, self.expect.day, self.expect.specialty, self.expect.patient))

    def messages(self) -> list[str]:
        return [turn if isinstance(turn, str) else turn.render() for turn in self.turns]


def load_script(path: Path) -> Script:
    """The script in a YAML file; pydantic's error names the field that is wrong."""
    return Script.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_folder(folder: Path) -> list[tuple[str, Script]]:
    """Every `*.yaml` script in `folder`, by file name, each named by its file's stem."""
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise FileNotFoundError(f"no *.yaml scripts in {folder}")
    return [(path.stem, load_script(path)) for path in paths]
