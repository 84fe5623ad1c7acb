"""POST /chat — the endpoint n8n calls for every patient message."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from gateway.deps import AppServices, Chat, ChatCaller
from gateway.errors import InvalidRequest, error_body
from gateway.schemas import ChatRequest, ChatResponse
from gateway.security.rate_limit import Limit

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Missing, invalid or revoked API key",
        "content": {"application/json": {"example": error_body("unauthorized", "invalid or revoked API key")}},
    },
    422: {"description": "The body breaks the contract; `message` says where"},
    429: {"description": "Too many requests for this patient or API key; see `Retry-After`"},
    503: {"description": "A dependency is down; the inbound message is stored, retry later"},
}


@router.post("/chat", response_model=ChatResponse, responses=_ERRORS)
async def chat(
    body: ChatRequest, request: Request, caller: ChatCaller, chat: Chat, services: AppServices
) -> ChatResponse:
    """Answer the patient's latest message (the last item of `messages`)."""
    settings = services.settings
    if len(body.messages) > settings.max_messages_per_request:
        raise InvalidRequest(f"messages: at most {settings.max_messages_per_request} messages per request")
    for index, message in enumerate(body.messages):
        if len(message.content) > settings.max_message_chars:
            raise InvalidRequest(f"messages[{index}].content: at most {settings.max_message_chars} characters")
    limiter = services.rate_limiter
    await limiter.check(
        "api_key", str(caller.id), Limit(settings.rate_limit_key_per_minute, settings.rate_limit_key_burst)
    )
    await limiter.check(
        "user", body.user_id, Limit(settings.rate_limit_user_per_minute, settings.rate_limit_user_burst)
    )
    request_id: str = request.state.request_id
    return await chat.reply(user_phone=body.user_id, text=body.messages[-1].content, request_id=request_id)
