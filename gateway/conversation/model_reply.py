"""The replies the model writes: from the cache or the model, checked before they are sent, then stored.

The model writes with no connection held; what it wrote is stored on a connection taken for it afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from gateway.clock import Clock, system_clock
from gateway.conversation import replies, repository
from gateway.conversation.reply import Action
from gateway.conversation.reply_cache import ReplyCache
from gateway.conversation.reply_check import Reason, Verdict, check_generated, is_impersonal
from gateway.conversation.storing import TurnConnections, next_template, store_reply
from gateway.db import Connection
from gateway.errors import InferenceUnavailable
from gateway.inference_client import Generated, GenerationParameters, InferenceClient
from gateway.metrics import GatewayMetrics
from gateway.resilience import DependencyUnavailable, Guard
from gateway.settings import Settings

log = structlog.get_logger(__name__)

# What the model wrote is stored within at least this long, even when it used the whole request deadline.
STORE_AFTER_MODEL_SECONDS = 1.0


# The model knows two sides: the patient's and the clinic's.
ModelRole = Literal["user", "assistant"]


def model_history(messages: Sequence[repository.StoredMessage]) -> list[tuple[ModelRole, str]]:
    """The conversation as the model reads it: what staff wrote from the console is the clinic speaking, shown as
    the assistant's turn (never as the patient's words)."""
    return [("user" if m.role == "user" else "assistant", m.content) for m in messages]


@dataclass(frozen=True)
class Prompt:
    """What the model is asked, and what its reply is checked against."""

    history: list[tuple[ModelRole, str]]
    parameters: GenerationParameters
    # The template sent instead of a reply the check rejects.
    fallback: str
    now: datetime
    patient_message: str
    allowed_names: list[str]


class ModelReplies:
    """Replies to what the flows leave unanswered: the cached one if it still passes the check, else the model's
    (or a template when the model is down or writes what must not be sent)."""

    def __init__(
        self,
        inference: InferenceClient,
        settings: Settings,
        *,
        connections: TurnConnections,
        guard: Guard,
        cache: ReplyCache,
        metrics: GatewayMetrics,
        zone: ZoneInfo,
        clock: Clock = system_clock,
    ) -> None:
        self._inference = inference
        self._settings = settings
        self._connections = connections
        self._guard = guard
        self._cache = cache
        self._metrics = metrics
        self._zone = zone
        self._clock = clock

    async def cached_or_prompt(
        self,
        conn: Connection,
        inbound: repository.StoredMessage,
        user_phone: str,
        patient_message: str,
        request_id: str,
        allowed_names: list[str],
    ) -> tuple[str, None] | tuple[None, Prompt]:
        """The cached reply, stored; else what to ask the model, which writes with no connection held."""
        conversation_id = inbound.conversation_id
        messages = await repository.recent_messages(
            conn, conversation_id=conversation_id, limit=self._settings.history_turns
        )
        history = model_history(messages)
        fallback = next_template(replies.GATE_FALLBACKS, [m.content for m in messages if m.role == "assistant"])
        now = self._clock().astimezone(self._zone)
        parameters = GenerationParameters(
            max_new_tokens=self._settings.reply_max_new_tokens,
            temperature=self._settings.reply_temperature,
            top_p=self._settings.reply_top_p,
        )
        model_id = self._inference.model_id
        cached = await self._cache.get(model_id, history, parameters)
        if model_id is not None and cached is not None:
            # Checked again for this patient: whoever it was first written for, it must suit this one,
            # and say nothing personal (only such replies are cached; anything else was planted).
            # No score for a cached reply: its own passed the threshold when it was generated.
            verdict = check_generated(cached, allowed_names=allowed_names, patient_message=patient_message, now=now)
            if verdict.ok and not is_impersonal(cached, names=allowed_names):
                verdict = Verdict(ok=False, reason=Reason.PERSONAL)
            self._metrics.cache.labels("hit" if verdict.ok else "rejected").inc()
            if verdict.ok:
                meta: dict[str, object] = {"source": "cache"}
                await store_reply(conn, inbound, user_phone, cached, Action.NONE, request_id, meta)
                return cached, None
            await self._cache.drop(model_id, history, parameters)
            log.warning("cached_reply_rejected", reason=verdict.reason, conversation_id=str(conversation_id))
            meta = {"source": "template", "rejected": f"cache_{verdict.reason}"}
            await store_reply(conn, inbound, user_phone, fallback, Action.NONE, request_id, meta)
            return fallback, None
        self._metrics.cache.labels("miss").inc()
        return None, Prompt(history, parameters, fallback, now, patient_message, allowed_names)

    async def write(
        self, prompt: Prompt, inbound: repository.StoredMessage, user_phone: str, request_id: str, deadline: float
    ) -> str:
        """What the model writes for `prompt` (or a template if it cannot, or writes what must not be sent), stored."""
        conversation_id = inbound.conversation_id
        history, parameters = prompt.history, prompt.parameters

        async def generate(seconds_left: float) -> Generated:
            timeout = min(seconds_left, self._settings.inference_timeout_seconds)
            return await self._inference.generate(history, parameters, request_id=request_id, timeout_seconds=timeout)

        started = time.perf_counter()
        try:
            generated = await self._guard.call(generate, deadline=deadline)
        except (DependencyUnavailable, InferenceUnavailable) as exc:
            self._metrics.inference_call.observe(time.perf_counter() - started)
            log.warning("inference_unavailable", error=str(exc), conversation_id=str(conversation_id))
            meta: dict[str, object] = {"source": "template", "rejected": "inference_unavailable"}
            return await self._store(inbound, user_phone, replies.SAFE_FALLBACK, request_id, meta, deadline)
        self._metrics.inference_call.observe(time.perf_counter() - started)
        verdict = check_generated(
            generated.text,
            allowed_names=prompt.allowed_names,
            patient_message=prompt.patient_message,
            now=prompt.now,
            mean_logprob=generated.mean_logprob,
            min_logprob=self._settings.reply_min_logprob,
        )
        answer = generated.text.strip() if verdict.ok else prompt.fallback
        meta = {
            "source": "model" if verdict.ok else "template",
            "prompt_tokens": generated.prompt_tokens,
            "completion_tokens": generated.completion_tokens,
            "finish_reason": generated.finish_reason,
            "inference_seconds": round(generated.server_seconds, 4),
            "batch_size": generated.batch_size,
            "mean_logprob": None if generated.mean_logprob is None else round(generated.mean_logprob, 3),
        }
        if verdict.ok:
            cache = self._cache.put(generated.model_id, history, parameters, answer, names=prompt.allowed_names)
            meta["cached"] = await cache
        else:
            meta["rejected"] = verdict.reason
            log.info("generated_reply_rejected", reason=verdict.reason, conversation_id=str(conversation_id))
        return await self._store(inbound, user_phone, answer, request_id, meta, deadline)

    async def _store(
        self,
        inbound: repository.StoredMessage,
        user_phone: str,
        answer: str,
        request_id: str,
        meta: dict[str, object],
        deadline: float,
    ) -> str:
        """`answer` stored on a connection taken for it, again on another if it breaks; the reply that stands.

        Only this is retried, not the turn: the model is not asked twice. The model may have used the whole
        deadline; what it wrote still gets STORE_AFTER_MODEL_SECONDS (within the phone's lease, whose margin is
        larger). A try whose commit went through though its connection broke stored the reply already: that one
        stands.
        """
        deadline = max(deadline, time.monotonic() + STORE_AFTER_MODEL_SECONDS)

        async def store() -> str:
            async with self._connections.connection(deadline) as conn:
                try:
                    await store_reply(conn, inbound, user_phone, answer, Action.NONE, request_id, meta)
                except asyncpg.UniqueViolationError:
                    stored = await repository.reply_to(conn, message_id=inbound.id)
                    assert stored is not None
                    return stored.content
                return answer

        return await self._connections.retrying(store, deadline)
