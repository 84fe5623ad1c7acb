"""What a turn of the conversation answers, in the conversation's own terms.

`/chat` and WhatsApp each map a `Reply` to their wire shape (`gateway.schemas.ChatResponse`, WhatsApp
messages); nothing here knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter


class Action(StrEnum):
    """What the gateway did or wants n8n to do next. A fixed vocabulary n8n branches on."""

    NONE = "none"
    SCHEDULE_APPOINTMENT = "schedule_appointment"
    CANCEL_APPOINTMENT = "cancel_appointment"
    RESCHEDULE_APPOINTMENT = "reschedule_appointment"
    LIST_APPOINTMENTS = "list_appointments"
    VERIFICATION_REQUIRED = "verification_required"
    HUMAN_HANDOFF = "human_handoff"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Option:
    """A choice the patient can answer with: `id` is what comes back as their message when it is picked."""

    id: str
    # Short label (at most 24 characters).
    title: str
    description: str | None = None


@dataclass(frozen=True)
class AppointmentSummary:
    """The appointment a turn created, changed, cancelled or showed; times in the clinic's zone."""

    id: UUID
    doctor: str
    specialty: str
    start: datetime
    end: datetime
    status: str


@dataclass(frozen=True)
class Reply:
    """One turn's answer: the text, what happened (`action`), and what goes with it."""

    text: str
    action: Action
    conversation_id: UUID
    request_id: str
    # Whether this phone is verified as the patient's right now.
    verified: bool = False
    appointment: AppointmentSummary | None = None
    options: tuple[Option, ...] = ()


_OPTIONS = TypeAdapter(tuple[Option, ...])
_APPOINTMENT = TypeAdapter(AppointmentSummary)


def reply_extras(options: tuple[Option, ...], appointment: AppointmentSummary | None) -> dict[str, object]:
    """What a reply's stored row keeps of its turn's answer besides the text: the options, the appointment."""
    extras: dict[str, object] = {}
    if options:
        extras["options"] = _OPTIONS.dump_python(options, mode="json")
    if appointment is not None:
        extras["appointment"] = _APPOINTMENT.dump_python(appointment, mode="json")
    return extras


def options_kept(extras: dict[str, Any]) -> tuple[Option, ...]:
    """The options `reply_extras` kept."""
    return _OPTIONS.validate_python(extras.get("options", []))


def appointment_kept(extras: dict[str, Any]) -> AppointmentSummary | None:
    """The appointment `reply_extras` kept, if any."""
    appointment = extras.get("appointment")
    return None if appointment is None else _APPOINTMENT.validate_python(appointment)
