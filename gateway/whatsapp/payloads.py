"""What the WhatsApp Cloud API webhook posts, parsed leniently: unknown fields are ignored.

Only what the gateway uses is modelled; Meta adds fields and message types over time, and a
payload we do not fully understand must never make us answer non-200 (Meta would retry it for a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field

from gateway.schemas import clean_text

# Messages without text (image, audio, location, ...) get a polite "only text" answer, except these,
# which need no answer at all: a reaction to one of our messages, a deleted message, a system notice.
_SILENT_TYPES = frozenset({"reaction", "system", "ephemeral", "revoked", "unsupported_deleted"})


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Text(_Lenient):
    body: str = ""


class ReplyChoice(_Lenient):
    """A reply button or list row the patient tapped; `id` is the option id we sent."""

    id: str
    title: str = ""


class Interactive(_Lenient):
    type: str = ""
    button_reply: ReplyChoice | None = None
    list_reply: ReplyChoice | None = None


class TemplateButton(_Lenient):
    """A quick-reply button of a template message."""

    payload: str | None = None
    text: str | None = None


class Message(_Lenient):
    from_: str = Field(alias="from")
    id: str
    timestamp: str | None = None
    type: str = "unknown"
    text: Text | None = None
    interactive: Interactive | None = None
    button: TemplateButton | None = None


class Status(_Lenient):
    """A delivery report for one of our messages (sent, delivered, read, failed): nothing to answer."""

    id: str = ""
    status: str = ""
    recipient_id: str | None = None
    # Echoes the `biz_opaque_callback_data` we sent the message with (gateway.whatsapp.service: the outbox part).
    biz_opaque_callback_data: str | None = None


class Metadata(_Lenient):
    phone_number_id: str
    display_phone_number: str | None = None


class Value(_Lenient):
    messaging_product: str | None = None
    metadata: Metadata | None = None
    messages: list[Message] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)


class Change(_Lenient):
    field: str = ""
    value: Value = Field(default_factory=Value)


class Entry(_Lenient):
    id: str = ""
    changes: list[Change] = Field(default_factory=list)


class WebhookPayload(_Lenient):
    object: str = ""
    entry: list[Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class Inbound:
    """One patient message out of a webhook, flattened.

    `text` is what the patient said (for a tapped button or list row: the option's id), or None when
    the message has no text we can read; then `answer` says whether it deserves a polite reply.
    """

    wamid: str
    phone_number_id: str
    wa_id: str
    message_type: str
    sent_at: datetime | None
    text: str | None
    answer: bool

    @property
    def phone(self) -> str | None:
        """The sender in E.164 (`+59170000001`), or None when `wa_id` is not a valid number."""
        return whatsapp_id_to_e164(self.wa_id)


def whatsapp_id_to_e164(wa_id: str) -> str | None:
    """`59170000001` → `+59170000001`; None unless it is a valid phone number."""
    if not wa_id.isdigit():
        return None
    try:
        number = phonenumbers.parse(f"+{wa_id}", None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text_of(message: Message) -> str | None:
    if message.type == "text" and message.text is not None:
        return message.text.body
    if message.type == "interactive" and message.interactive is not None:
        choice = message.interactive.button_reply or message.interactive.list_reply
        return choice.id if choice is not None else None
    if message.type == "button" and message.button is not None:
        return message.button.payload or message.button.text
    return None


def _sent_at(timestamp: str | None) -> datetime | None:
    if timestamp is None or not timestamp.isdigit():
        return None
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def inbound_messages(payload: WebhookPayload) -> list[Inbound]:
    """The patient messages of a webhook call, in order; status callbacks and other fields are left out."""
    found: list[Inbound] = []
    if payload.object != "whatsapp_business_account":
        return found
    for entry in payload.entry:
        for change in entry.changes:
            value = change.value
            if change.field != "messages" or value.metadata is None:
                continue
            for message in value.messages:
                text = _text_of(message)
                text = clean_text(text) if text is not None else None
                found.append(
                    Inbound(
                        wamid=message.id,
                        phone_number_id=value.metadata.phone_number_id,
                        wa_id=message.from_,
                        message_type=message.type,
                        sent_at=_sent_at(message.timestamp),
                        text=text or None,
                        answer=bool(text) or message.type not in _SILENT_TYPES,
                    )
                )
    return found


def delivery_reports(payload: WebhookPayload) -> list[Status]:
    """The status callbacks (sent, delivered, read, failed) of a webhook call, for our own messages."""
    if payload.object != "whatsapp_business_account":
        return []
    return [
        status
        for entry in payload.entry
        for change in entry.changes
        if change.field == "messages"
        for status in change.value.statuses
    ]
