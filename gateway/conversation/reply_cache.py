"""Small-talk replies kept in Redis for an hour, keyed by everything the model was given.

A cached reply is sent to whichever patient next writes the same conversation, so only replies
that could be said to anyone go in: `reply_check.is_impersonal` (no digits, contacts or names).
The key covers the exact history the model saw, the model and the sampling parameters: two
conversations share a reply only when the model was asked the very same thing. The model is the one the
inference server names in its answers (`Generated.model_id`), so a new model never serves an old one's replies;
until the server has answered once, nothing is looked up. The key is a hash,
so Redis holds no message text in its key names. A Redis failure is a cache miss, never an error.
The caller still checks every reply, cached or not, for the patient it is about to answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence

import redis.asyncio as redis
import structlog
from redis.exceptions import RedisError

from gateway.conversation.reply_check import is_impersonal
from gateway.inference_client import GenerationParameters

log = structlog.get_logger(__name__)


class ReplyCache:
    def __init__(self, redis_client: redis.Redis, *, prefix: str, ttl_seconds: int) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._ttl = ttl_seconds

    def key(self, model_id: str, history: Sequence[tuple[str, str]], parameters: GenerationParameters) -> str:
        """The cache key of model `model_id` being sent `history` ((role, text) pairs, oldest first) with
        `parameters`."""
        sampling = [
            parameters.max_new_tokens,
            parameters.temperature,
            parameters.top_p,
            parameters.do_sample,
            parameters.seed,
        ]
        seen = [model_id, sampling, [[role, text] for role, text in history]]
        digest = hashlib.sha256(json.dumps(seen, ensure_ascii=False).encode()).hexdigest()
        return f"{self._prefix}:reply:{digest}"

    async def get(
        self, model_id: str | None, history: Sequence[tuple[str, str]], parameters: GenerationParameters
    ) -> str | None:
        if self._ttl == 0 or not model_id:
            return None
        try:
            value = await self._redis.get(self.key(model_id, history, parameters))
        except RedisError as exc:
            log.warning("reply_cache_unavailable", error=type(exc).__name__)
            return None
        return value.decode() if isinstance(value, bytes) else value

    async def put(
        self,
        model_id: str,
        history: Sequence[tuple[str, str]],
        parameters: GenerationParameters,
        reply: str,
        *,
        names: Collection[str],
    ) -> bool:
        """Keep `reply` unless it names anyone in `names` (or anyone at all), a number or a contact; True when kept."""
        if self._ttl == 0 or not model_id or not is_impersonal(reply, names=names):
            return False
        try:
            await self._redis.set(self.key(model_id, history, parameters), reply, ex=self._ttl)
        except RedisError as exc:
            log.warning("reply_cache_unavailable", error=type(exc).__name__)
            return False
        return True

    async def drop(self, model_id: str, history: Sequence[tuple[str, str]], parameters: GenerationParameters) -> None:
        """Forget the reply kept for this history, e.g. one that failed a patient's check."""
        try:
            await self._redis.delete(self.key(model_id, history, parameters))
        except RedisError as exc:
            log.warning("reply_cache_unavailable", error=type(exc).__name__)
