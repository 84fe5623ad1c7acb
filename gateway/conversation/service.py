"""One patient message in, one assistant reply out, both stored."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg
import structlog

from gateway.conversation import replies, repository
from gateway.inference_client import GenerationParameters, InferenceClient
from gateway.log import mask_phone
from gateway.schemas import Action, ChatResponse
from gateway.settings import Settings

log = structlog.get_logger(__name__)


class ChatService:
    """Stores the inbound message, asks the model for a reply, stores and returns it."""

    def __init__(self, pool: asyncpg.Pool, inference: InferenceClient, settings: Settings) -> None:
        self._pool = pool
        self._inference = inference
        self._settings = settings

    async def reply(self, *, user_phone: str, text: str, request_id: str, channel: str = "api") -> ChatResponse:
        # The inbound message is committed before the model is called, so it is kept
        # even when inference fails and the caller gets a 503.
        conversation_id = await self._store_inbound(user_phone, text, request_id, channel)
        async with self._pool.acquire() as conn:
            history = await repository.recent_messages(
                conn, conversation_id=conversation_id, limit=self._settings.history_turns
            )
        generated = await self._inference.generate(
            [(m.role, m.content) for m in history],
            GenerationParameters(
                max_new_tokens=self._settings.reply_max_new_tokens,
                temperature=self._settings.reply_temperature,
                top_p=self._settings.reply_top_p,
            ),
            request_id=request_id,
        )
        answer = generated.text.strip() or replies.DID_NOT_UNDERSTAND
        action = Action.NONE
        async with self._pool.acquire() as conn:
            await repository.add_message(
                conn,
                conversation_id=conversation_id,
                user_phone=user_phone,
                role="assistant",
                content=answer,
                request_id=request_id,
                action=action.value,
                meta={
                    "source": "model" if generated.text.strip() else "template",
                    "prompt_tokens": generated.prompt_tokens,
                    "completion_tokens": generated.completion_tokens,
                    "finish_reason": generated.finish_reason,
                    "inference_seconds": round(generated.server_seconds, 4),
                    "batch_size": generated.batch_size,
                },
            )
        log.info(
            "chat_replied",
            phone=mask_phone(user_phone),
            conversation_id=str(conversation_id),
            action=action.value,
            completion_tokens=generated.completion_tokens,
        )
        return ChatResponse(response=answer, action=action, conversation_id=str(conversation_id), request_id=request_id)

    async def _store_inbound(self, user_phone: str, text: str, request_id: str, channel: str) -> UUID:
        async with self._pool.acquire() as conn:
            conversation_id = await repository.open_conversation(
                conn,
                user_phone=user_phone,
                idle_after=timedelta(hours=self._settings.conversation_idle_hours),
                channel=channel,
            )
            await repository.add_message(
                conn,
                conversation_id=conversation_id,
                user_phone=user_phone,
                role="user",
                content=text,
                request_id=request_id,
            )
        return conversation_id
