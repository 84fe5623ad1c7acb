"""The reminder, the waitlist offer and the staff messages as WhatsApp messages (the Cloud API's documented shape).

A family member's appointment is reminded (or offered) on their holder's phone: the message greets the one who
reads it and says whose appointment it is ("Hola, Rosa. Le recordamos la cita de Mateo…"), so both templates carry
the reader's first name and the appointment's owner as separate parameters. `REMINDER_TEXT`, `OFFER_TEXT`,
`STAFF_REPLY_TEXT` and `CANCELLATION_TEXT` are the bodies to submit for approval (the README shows them too); `render`
fills one in, as the patient reads it. Template parameters are flattened (`flat`): Meta refuses newlines, tabs and
more than four spaces in a row in them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.conversation.buttons import ButtonKind, offer_payload, payload
from gateway.conversation.wording import day_and_time, with_article

# Quick-reply buttons of the approved template, in order: Confirmar, Cambiar, Cancelar. Their payloads are the ones
# the gateway's dialog reads back (gateway/conversation/buttons.py), made by the same function.
BUTTONS = (ButtonKind.CONFIRM, ButtonKind.CHANGE, ButtonKind.CANCEL)


# The approved bodies: {{1}} the reader's first name, {{2}} whose appointment ("su cita" / "la cita de Mateo"; for an
# offer "para usted" / "para Mateo"), {{3}} the doctor with their article ("la Dra. Lucía Vargas"), {{4}} specialty,
# {{5}} day and time, and in an offer {{6}} the minutes the slot is held.
REMINDER_TEXT = (
    "Hola, {{1}}. Le recordamos {{2}} con {{3}} ({{4}}) el {{5}}. "
    "Puede confirmarla, cambiarla o cancelarla con los botones de abajo."
)
OFFER_TEXT = (
    "Hola, {{1}}. Por la lista de espera: se liberó una cita {{2}} con {{3}} ({{4}}) el {{5}}. "
    "Se la guardamos {{6}} minutos: ¿la quiere?"
)
_PARAMETER = re.compile(r"\{\{(\d+)\}\}")


@dataclass(frozen=True)
class ReminderFacts:
    """What a reminder says, and to whom it goes (E.164 with `+`: the patient's, or their holder's, phone).

    `full_name` is the patient's; `holder_name`, when the patient is a family member, is that of the holder, who
    reads the message."""

    appointment_id: uuid.UUID
    phone: str
    full_name: str
    doctor_name: str
    specialty_name: str
    starts_at: datetime
    holder_name: str | None = None


def first_name(full_name: str) -> str:
    """ "Ana María Quispe" → "Ana": how a receptionist greets."""
    words = full_name.split()
    return words[0] if words else full_name


def render(text: str, parameters: list[str]) -> str:
    """An approved body filled in with the parameters, as the patient reads it."""
    return _PARAMETER.sub(lambda found: parameters[int(found.group(1)) - 1], text)


def _reader_and_whose(full_name: str, holder_name: str | None, *, own: str, members: str) -> tuple[str, str]:
    """The first name of whoever reads the message, and whose appointment it is in their words."""
    if holder_name is None:
        return first_name(full_name), own
    return first_name(holder_name), members.format(first_name(full_name))


def reminder_message(
    facts: ReminderFacts, *, template: str, language: str, tz: ZoneInfo, callback_data: str | None = None
) -> dict[str, Any]:
    """The Graph API request body for one reminder (body `REMINDER_TEXT`); `callback_data` comes back in Meta's
    status callbacks."""

    def text(value: str) -> dict[str, str]:
        return {"type": "text", "text": value}

    reader, whose = _reader_and_whose(facts.full_name, facts.holder_name, own="su cita", members="la cita de {}")
    body = [
        text(reader),
        text(whose),
        text(with_article(facts.doctor_name)),
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
    # The holder's name when the slot is for a family member: the holder reads it.
    holder_name: str | None = None


def offer_message(
    facts: OfferFacts, *, template: str, language: str, tz: ZoneInfo, callback_data: str | None = None
) -> dict[str, Any]:
    """The Graph API request body for a waitlist offer (body `OFFER_TEXT`); quick replies "Sí, la quiero" and
    "No, gracias"."""
    reader, whose = _reader_and_whose(facts.full_name, facts.holder_name, own="para usted", members="para {}")
    body = [
        {"type": "text", "text": value}
        for value in (
            reader,
            whose,
            with_article(facts.doctor_name),
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


# A staff reply that cannot go as free text (the patient's 24-hour window closed): {{1}} what staff wrote, flattened.
STAFF_REPLY_TEXT = (
    "Hola, le escribe el equipo de la clínica:\n\n{{1}}\n\nPuede responder a este mensaje para seguir conversando."
)
# Staff cancelled an appointment: {{1}} the reader's first name, {{2}} whose appointment ("su cita" / "la cita de
# Mateo"), {{3}} the doctor with their article, {{4}} day and time, {{5}} the reason staff gave. Within the window the
# same words go as free text.
CANCELLATION_TEXT = (
    "Hola, {{1}}. La clínica tuvo que cancelar {{2}} con {{3}} del {{4}}. Motivo: {{5}}. "
    "Disculpe las molestias; si desea otra fecha, escríbanos por aquí y le ayudamos."
)
_WHITESPACE = re.compile(r"\s+")


def flat(value: str) -> str:
    """A template parameter as Meta accepts it: no newlines or tabs, nor more than 4 spaces in a row."""
    return _WHITESPACE.sub(" ", value).strip()


def text_message(phone: str, body: str, *, callback_data: str | None = None) -> dict[str, Any]:
    """The Graph API request body for free text (only within the patient's 24-hour window)."""
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": phone.removeprefix("+"),
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }
    if callback_data is not None:
        message["biz_opaque_callback_data"] = callback_data
    return message


def body_template(
    phone: str, parameters: list[str], *, template: str, language: str, callback_data: str | None = None
) -> dict[str, Any]:
    """The Graph API request body for a template with a body of text parameters and no buttons (flattened)."""
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": phone.removeprefix("+"),
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": flat(p)} for p in parameters]}],
        },
    }
    if callback_data is not None:
        message["biz_opaque_callback_data"] = callback_data
    return message


@dataclass(frozen=True)
class CancellationFacts:
    """What a cancellation notice says: whose appointment, with whom, when, and the reason staff gave."""

    full_name: str
    doctor_name: str
    starts_at: datetime
    reason: str
    # The holder's name when the appointment was a family member's: the holder reads it.
    holder_name: str | None = None


def cancellation_parameters(facts: CancellationFacts, *, tz: ZoneInfo) -> list[str]:
    """`CANCELLATION_TEXT`'s parameters, flattened (the reason without its closing stop: the text adds one)."""
    reader, whose = _reader_and_whose(facts.full_name, facts.holder_name, own="su cita", members="la cita de {}")
    reason = flat(facts.reason).rstrip(" .")
    return [reader, whose, with_article(facts.doctor_name), day_and_time(facts.starts_at, tz), reason]
