"""The HTTP contract of `/chat`, shared with n8n. Change it only by adding optional fields."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Literal
from uuid import UUID

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gateway.conversation import reply
from gateway.conversation.reply import Action

# Generous bounds; the settings tighten them per deployment (MAX_MESSAGES_PER_REQUEST). A message's length is
# bounded by the body's (MAX_BODY_BYTES) alone: one over MAX_MESSAGE_CHARS is answered, asking for a shorter one.
HARD_MAX_MESSAGES = 200


# Patients write again and again from the same phones: a number once checked is not parsed again.
@lru_cache(maxsize=4096)
def _e164(value: str) -> str:
    if not value.startswith("+"):
        raise ValueError("must be a phone number in E.164 format with country code, e.g. +59170123456")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number, e.g. +59170123456")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value:
        raise ValueError(f"must be written in E.164 without spaces or dashes, e.g. {formatted}")
    return formatted


PhoneNumber = Annotated[str, StringConstraints(max_length=20), AfterValidator(_e164)]
# A delivery's id: 1-200 visible ASCII characters, in the body (`message_id`) or the Idempotency-Key header.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")
IdempotencyKey = Annotated[str, StringConstraints(pattern=f"^{IDEMPOTENCY_KEY.pattern}$")]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """A patient's text without control characters (C0 but tab and newline, DEL, C1, bidi overrides) or
    surrounding blanks. Every way in (`/chat`, the WhatsApp webhook) cleans with this one function."""
    return _CONTROL.sub("", value).strip()


def _clean_text(value: str) -> str:
    cleaned = clean_text(value)
    if not cleaned:
        raise ValueError("must not be empty")
    return cleaned


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Annotated[str, AfterValidator(_clean_text)]


class ChatRequest(BaseModel):
    """What n8n posts: the patient's latest message last, and who they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"messages": [{"role": "user", "content": "Hola, quiero una cita"}], "user_id": "+59170123456"}
            ]
        },
    )

    messages: list[ChatMessage] = Field(min_length=1, max_length=HARD_MAX_MESSAGES)
    user_id: PhoneNumber
    message_id: IdempotencyKey | None = Field(
        default=None,
        description=(
            "The delivery's id (e.g. WhatsApp's wamid or n8n's execution id). A retry with the same id gets the "
            "first answer again and stores nothing twice; the `Idempotency-Key` header does the same."
        ),
    )

    @field_validator("messages")
    @classmethod
    def _last_message_is_the_patients(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role != "user":
            raise ValueError("the last message must be the patient's (role 'user')")
        return messages


class Option(BaseModel):
    """A choice the patient can answer with, e.g. a WhatsApp reply button or list row."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="What to send back as the patient's message when this option is picked.")
    title: str = Field(description="Short label (at most 24 characters).")
    description: str | None = None

    @classmethod
    def of(cls, option: reply.Option) -> Option:
        return cls(id=option.id, title=option.title, description=option.description)


class AppointmentOut(BaseModel):
    """An appointment as n8n and the staff see it; times in the clinic's zone with their offset."""

    id: UUID
    doctor: str
    specialty: str
    start: datetime
    end: datetime
    status: str

    @classmethod
    def of(cls, appointment: reply.AppointmentSummary) -> AppointmentOut:
        return cls(
            id=appointment.id,
            doctor=appointment.doctor,
            specialty=appointment.specialty,
            start=appointment.start,
            end=appointment.end,
            status=appointment.status,
        )


class ChatResponse(BaseModel):
    response: str = Field(description="Text to send to the patient.")
    action: Action = Field(
        description=(
            "What happened in this turn; n8n branches on it. The appointment actions are given only on the turn "
            "the change was made (booked, cancelled, moved) or the list was shown; `verification_required` while "
            "the patient is asked for the last 4 digits or the SMS code; `none` for every other turn."
        )
    )
    conversation_id: str
    request_id: str
    verified: bool = Field(default=False, description="Whether this phone is verified as the patient's right now.")
    appointment: AppointmentOut | None = Field(
        default=None, description="The appointment created, changed or cancelled in this turn."
    )
    options: list[Option] = Field(
        default_factory=list, description="Choices offered in `response` (slots, yes/no), for buttons or lists."
    )

    @classmethod
    def of(cls, answer: reply.Reply) -> ChatResponse:
        """The wire shape of the conversation's `answer`."""
        return cls(
            response=answer.text,
            action=answer.action,
            conversation_id=str(answer.conversation_id),
            request_id=answer.request_id,
            verified=answer.verified,
            appointment=None if answer.appointment is None else AppointmentOut.of(answer.appointment),
            options=[Option.of(option) for option in answer.options],
        )


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description="postgres, redis, inference: `ok` or `unavailable`.")
    breakers: dict[str, str] = Field(description="Circuit breakers by dependency: closed, open or half_open.")
    rate_limiter: Literal["redis", "local"] = Field(description="`local` while Redis is unreachable.")


class ReadyResponse(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str]
