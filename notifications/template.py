"""The reminder and the waitlist offer as WhatsApp template messages (the Cloud API's documented shape)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.conversation.buttons import ButtonKind, offer_payload, payload
from gateway.conversation.wording import day_and_time

# Quick-reply buttons of the approved template, in order: Confirmar, Cambiar, Cancelar. Their payloads are the ones
# the gateway's dialog reads back (gateway/conversation/buttons.py), made by the same function.
BUTTONS = (ButtonKind.CONFIRM, ButtonKind.CHANGE, ButtonKind.CANCEL)


@dataclass(frozen=True)
class ReminderFacts:
    """What a reminder says, and to whom it goes (E.164 with `+`: the patient's, or their holder's, phone)."""

    appointment_id: uuid.UUID
    phone: str
    full_name: str
    doctor_name: str
    specialty_name: str
    starts_at: datetime


def first_name(full_name: str) -> str:
    """ "Ana María Quispe" → "Ana": how a receptionist greets."""
    words = full_name.split()
    return words[0] if words else full_name


def reminder_message(
    facts: ReminderFacts, *, template: str, language: str, tz: ZoneInfo, callback_data: str | None = None
) -> dict[str, Any]:
    """The Graph API request body for one reminder; `callback_data` comes back in Meta's status callbacks."""

    def text(value: str) -> dict[str, str]:
        return {"type": "text", "text": value}

    body = [
        text(first_name(facts.full_name)),
        text(facts.doctor_name),
        text(facts.specialty_name),
        text(day_and_time(facts.starts_at, tz)),
    ]
    buttons = [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(index),
            "parameters": [{"type": "payload", "payload": payload(kind, facts.appointment_id)}],
        }
        for index, kind in enumerate(BUTTONS)
    ]
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": facts.phone.removeprefix("+"),
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": body}, *buttons],
        },
    }
    if callback_data is not None:
        message["biz_opaque_callback_data"] = callback_data
    return message


@dataclass(frozen=True)
class OfferFacts:
    """What a waitlist offer says, and to whom it goes (E.164 with `+`)."""

    offer_id: int
    phone: str
    full_name: str
    doctor_name: str
    specialty_name: str
    starts_at: datetime
    hold_minutes: int


def offer_message(
    facts: OfferFacts, *, template: str, language: str, tz: ZoneInfo, callback_data: str | None = None
) -> dict[str, Any]:
    """The Graph API request body for a waitlist offer: body {{1}} first name, {{2}} doctor, {{3}} specialty,
    {{4}} day and time, {{5}} minutes the slot is held; quick replies "Sí, la quiero" and "No, gracias"."""
    body = [
        {"type": "text", "text": value}
        for value in (
            first_name(facts.full_name),
            facts.doctor_name,
            facts.specialty_name,
            day_and_time(facts.starts_at, tz),
            str(facts.hold_minutes),
        )
    ]
    buttons = [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(index),
            "parameters": [{"type": "payload", "payload": offer_payload(accept=accept, offer_id=facts.offer_id)}],
        }
        for index, accept in enumerate((True, False))
    ]
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": facts.phone.removeprefix("+"),
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": body}, *buttons],
        },
    }
    if callback_data is not None:
        message["biz_opaque_callback_data"] = callback_data
    return message
