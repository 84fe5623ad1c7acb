"""The HTTP contract of `/chat`, shared with n8n. Change it only by adding optional fields."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

# Generous bounds; the settings tighten them per deployment (MAX_MESSAGE_CHARS, MAX_MESSAGES_PER_REQUEST).
HARD_MAX_MESSAGE_CHARS = 4096
HARD_MAX_MESSAGES = 200


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


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=HARD_MAX_MESSAGE_CHARS)]


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

    @field_validator("messages")
    @classmethod
    def _last_message_is_the_patients(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role != "user":
            raise ValueError("the last message must be the patient's (role 'user')")
        return messages


class ChatResponse(BaseModel):
    response: str = Field(description="Text to send to the patient.")
    action: Action = Field(description="What happened or should happen next; n8n branches on it.")
    conversation_id: str
    request_id: str


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]
