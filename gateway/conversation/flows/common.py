"""What every flow speaks: the turn in, the outcome out, the clinic and the dialog's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from appointments import repository as clinic
from appointments.schemas import Appointment, Doctor
from gateway.conversation import emergency, wording
from gateway.conversation.reply import Action, Option
from gateway.conversation.state import DialogState, Flow, ListedAppointment
from gateway.db import Connection
from gateway.understanding.nlu import Understanding
from gateway.understanding.small_talk import SmallTalk
from gateway.verification.identity import KnowledgeCheck
from gateway.verification.vouching import VouchedBy


@dataclass(frozen=True)
class DialogSettings:
    """The dialog's knobs, taken from the gateway settings."""

    tz: ZoneInfo
    min_notice: timedelta
    search_days: int
    slots_offered: int
    verified_ttl: float
    knowledge_check: KnowledgeCheck
    identity_attempts: int
    identity_lockout: timedelta
    max_upcoming: int
    code_minutes: int
    emergency_number: str | None
    crisis_line: str | None = None
    crisis_line_name: str | None = None
    # How long after an emergency the patient's messages are answered as part of it.
    emergency_lasts: timedelta = timedelta(hours=2)
    # How long a slot the waitlist frees is held for the patient it is offered to (the notification service's).
    waitlist_hold_minutes: int = 30

    @property
    def contacts(self) -> emergency.Contacts:
        return emergency.Contacts(self.emergency_number, self.crisis_line, self.crisis_line_name)


@dataclass(frozen=True)
class Turn:
    """One inbound message, understood."""

    phone: str
    text: str
    understood: Understanding
    now: datetime
    # Who vouches that `phone` sent it; a verification holds only for the one that completed it.
    vouched_by: VouchedBy


class Courtesy(StrEnum):
    """A greeting or a goodbye the dialog answers with its own template: not a request, so while a person has the
    conversation the service says that person will answer instead (service `_awaiting_person`)."""

    GREETING = "greeting"
    GOODBYE = "goodbye"


@dataclass(frozen=True)
class Outcome:
    """The dialog's answer. `text` None: not a transactional turn; let the model answer."""

    state: DialogState
    text: str | None
    action: Action = Action.NONE
    appointment: Appointment | None = None
    options: tuple[Option, ...] = ()
    # Set when a person at the clinic must look at the conversation (emergency, handoff).
    flag: str | None = None
    # With `text` None: small talk answered from a template (in turn, by the service), not by the model.
    small_talk: SmallTalk | None = None
    # With `text` set: the greeting or goodbye it is, which a person awaited answers in its place.
    courtesy: Courtesy | None = None


@dataclass
class Clinic:
    """What the dialog needs to know about the clinic for one turn: doctors and specialty names."""

    doctors: list[Doctor]
    specialties: dict[str, str]
    _by_name: dict[str, Doctor] = field(init=False)

    def __post_init__(self) -> None:
        self._by_name = {doctor.full_name: doctor for doctor in self.doctors}

    @classmethod
    async def load(cls, conn: Connection) -> Clinic:
        return cls(await clinic.active_doctors(conn), await clinic.specialty_names(conn))

    def doctor_named(self, name: str | None) -> Doctor | None:
        return self._by_name.get(name) if name else None

    def specialty_name(self, code: str) -> str:
        return self.specialties.get(code, code)

    def offered_specialties(self) -> list[str]:
        """Codes of the specialties that have at least one active doctor, by name."""
        codes = {doctor.specialty_code for doctor in self.doctors}
        return sorted(codes, key=self.specialty_name)


# The NLU's confidence when words say what the patient wants, rather than a bare date or name.
EXPLICIT_INTENT = 0.8
YES_NO = (Option(id="si", title="Sí"), Option(id="no", title="No"))
# WhatsApp cuts a reply button's title at 20 characters.
TO_A_PERSON = Option(id="hablar con una persona", title="Hablar con persona")
# The audit action of each flow's change.
CHANGE: dict[Flow | None, str] = {
    Flow.BOOK: "appointment.booked",
    Flow.CANCEL: "appointment.cancelled",
    Flow.RESCHEDULE: "appointment.rescheduled",
    Flow.LIST: "appointments.viewed",
    Flow.ATTEND: "appointment.confirmed",
    Flow.REMINDERS: "patient.reminders_consent",
    None: "appointment.changed",
}
# The audit action of leaving the waitlist, by message or with the messages stopped.
WAITLIST_LEFT = "waitlist.left"


def has_details(understood: Understanding) -> bool:
    """Whether the message names a day, an hour, a part of the day, a specialty or a doctor."""
    return any(
        value is not None
        for value in (understood.date, understood.time, understood.time_of_day, understood.specialty, understood.doctor)
    )


def appointment_lines(listed: tuple[ListedAppointment, ...], tz: ZoneInfo, names: dict[str, str]) -> list[str]:
    """The patient's appointments as numbered lines; with a family member's among them, each says whose it is."""
    family = any(a.for_name for a in listed)

    def whose(a: ListedAppointment) -> str:
        return f" — para {a.for_name or 'usted'}" if family else ""

    return [f"{i}) {wording.appointment_text(a, tz, names)}{whose(a)}" for i, a in enumerate(listed, start=1)]


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, at least one."""
    return max(1, -(-seconds // 60))
