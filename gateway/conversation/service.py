"""One patient message in, one assistant reply out, both stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from gateway.conversation import replies, repository
from gateway.conversation.intents import Intent
from gateway.conversation.nlu import understand
from gateway.db import Connection
from gateway.inference_client import GenerationParameters, InferenceClient
from gateway.log import mask_phone
from gateway.schemas import Action, ChatResponse
from gateway.settings import Settings

log = structlog.get_logger(__name__)

# Intents answered by a template and flagged for the clinic's staff instead of the model.
_HANDED_TO_PEOPLE = {Intent.EMERGENCY: Action.EMERGENCY, Intent.HUMAN_HANDOFF: Action.HUMAN_HANDOFF}


class ChatService:
    """Stores the inbound message, answers it and stores the answer.

    Emergencies and requests for a person get a template and a flag for the staff; the rest, the model.
    """

    def __init__(self, pool: asyncpg.Pool, inference: InferenceClient, settings: Settings) -> None:
        self._pool = pool
        self._inference = inference
        self._settings = settings
        self._zone = ZoneInfo(settings.clinic_timezone)

    async def reply(self, *, user_phone: str, text: str, request_id: str, channel: str = "api") -> ChatResponse:
        # The inbound message is committed before anything else, so it is kept even
        # when inference fails and the caller gets a 503.
        conversation_id = await self._store_inbound(user_phone, text, request_id, channel)
        understood = understand(text, now=datetime.now(self._zone), tz=self._zone)
        if understood.intent in _HANDED_TO_PEOPLE:
            # Safety first: a template answers at once, whether or not the model is up.
            action = _HANDED_TO_PEOPLE[understood.intent]
            answer = (
                replies.emergency(self._settings.emergency_number)
                if action is Action.EMERGENCY
                else replies.HUMAN_HANDOFF
            )
            async with self._pool.acquire() as conn, conn.transaction():
                await repository.flag_for_human(conn, conversation_id=conversation_id, reason=action.value)
                await self._store_reply(conn, conversation_id, user_phone, answer, action, request_id, {})
            log.warning("conversation_flagged", phone=mask_phone(user_phone), reason=action.value)
            return ChatResponse(
                response=answer, action=action, conversation_id=str(conversation_id), request_id=request_id
            )
        return await self._model_reply(conversation_id, user_phone, request_id)

    async def _model_reply(self, conversation_id: UUID, user_phone: str, request_id: str) -> ChatResponse:
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
        meta: dict[str, object] = {
            "source": "model" if generated.text.strip() else "template",
            "prompt_tokens": generated.prompt_tokens,
            "completion_tokens": generated.completion_tokens,
            "finish_reason": generated.finish_reason,
            "inference_seconds": round(generated.server_seconds, 4),
            "batch_size": generated.batch_size,
        }
        async with self._pool.acquire() as conn:
            await self._store_reply(conn, conversation_id, user_phone, answer, action, request_id, meta)
        log.info(
            "chat_replied",
            phone=mask_phone(user_phone),
            conversation_id=str(conversation_id),
            action=action.value,
            completion_tokens=generated.completion_tokens,
        )
        return ChatResponse(response=answer, action=action, conversation_id=str(conversation_id), request_id=request_id)

    @staticmethod
    async def _store_reply(
        conn: Connection,
        conversation_id: UUID,
        user_phone: str,
        answer: str,
        action: Action,
        request_id: str,
        meta: dict[str, object],
    ) -> None:
        await repository.add_message(
            conn,
            conversation_id=conversation_id,
            user_phone=user_phone,
            role="assistant",
            content=answer,
            request_id=request_id,
            action=action.value,
            meta={"source": "template", **meta},
        )

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
