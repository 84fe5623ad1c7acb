"""POST /chat — the endpoint n8n calls for every patient message."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.api.errors import error_body
from gateway.conversation.service import api_message_key
from gateway.deps import AppServices, Chat, ChatCaller
from gateway.errors import InvalidRequest
from gateway.idempotency import Claims, body_hash
from gateway.schemas import IDEMPOTENCY_KEY, ChatRequest, ChatResponse
from gateway.verification.vouching import by_api_key

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Missing, invalid or revoked API key",
        "content": {"application/json": {"example": error_body("unauthorized", "invalid or revoked API key")}},
    },
    422: {"description": "The body breaks the contract; `message` says where"},
    409: {"description": "The first delivery with this idempotency key is still running; retry"},
    429: {"description": "Too many requests for this patient or API key; see `Retry-After`"},
    503: {
        "description": "A dependency is down; retry after `Retry-After` seconds (with the same `message_id`, the "
        "message is stored once and answered once however often it is retried)"
    },
}


@router.post("/chat", response_model=ChatResponse, responses=_ERRORS)
async def chat(
    body: ChatRequest, request: Request, response: Response, caller: ChatCaller, chat: Chat, services: AppServices
) -> ChatResponse:
    """Answer the patient's latest message (the last item of `messages`)."""
    settings = services.settings
    if len(body.messages) > settings.max_messages_per_request:
        raise InvalidRequest(f"messages: at most {settings.max_messages_per_request} messages per request")
    # A message over MAX_MESSAGE_CHARS is no 422: the patient is asked for a shorter one (ChatService.reply).

    key = idempotency_key(request, body)

    async def answer() -> ChatResponse:
        await services.rate_limiter.check("api_key", str(caller.id), ("user", body.user_id))
        answered = await chat.reply(
            user_phone=body.user_id,
            text=body.messages[-1].content,
            request_id=request.state.request_id,
            vouched_by=by_api_key(caller.id),
            message_key=None if key is None else api_message_key(caller.id, key),
            api_key_id=caller.id,
        )
        return ChatResponse.of(answered)

    if key is None:
        return await answer()
    claims = Claims(services.pool, request_deadline=settings.request_deadline_seconds, guard=services.guards.postgres)
    deadline = time.monotonic() + claims.wait_budget()
    stored = await claims.claim(caller.id, key, body_hash(body.model_dump(mode="json")), deadline=deadline)
    if stored is not None:
        response.headers["Idempotent-Replayed"] = "true"
        return ChatResponse.model_validate(stored)
    try:
        answered = await answer()
    except BaseException:
        await claims.release(caller.id, key)
        raise
    await claims.complete(caller.id, key, answered.model_dump(mode="json"))
    return answered


def idempotency_key(request: Request, body: ChatRequest) -> str | None:
    """The delivery's key: the `Idempotency-Key` header or `message_id`; both given, they must agree."""
    header = request.headers.get("idempotency-key")
    if header is not None and not IDEMPOTENCY_KEY.fullmatch(header):
        raise InvalidRequest("Idempotency-Key: 1-200 visible ASCII characters")
    if header is not None and body.message_id is not None and header != body.message_id:
        raise InvalidRequest("Idempotency-Key and message_id differ; send one of them, or the same value")
    return header or body.message_id
