"""Small-talk replies kept in Redis for an hour, keyed by the conversation's last messages and the model.

Only the model's answers to small talk go in: transactional turns never reach the model, and a reply is
cached only when it passed the safety check. The key is a hash, so Redis holds no message text in its
key names; the cached value is the reply itself. A Redis failure is a cache miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import redis.asyncio as redis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)
# How many of the last messages make the key.
KEY_MESSAGES = 3


class ReplyCache:
    def __init__(self, redis_client: redis.Redis, *, prefix: str, model_name: str, ttl_seconds: int) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._model = model_name
        self._ttl = ttl_seconds

    def key(self, history: Sequence[tuple[str, str]]) -> str:
        """The cache key of a conversation ending with `history` ((role, text) pairs, oldest first)."""
        last = [[role, " ".join(text.lower().split())] for role, text in history[-KEY_MESSAGES:]]
        digest = hashlib.sha256(json.dumps([self._model, last], ensure_ascii=False).encode()).hexdigest()
        return f"{self._prefix}:reply:{digest}"

    async def get(self, history: Sequence[tuple[str, str]]) -> str | None:
        if self._ttl == 0:
            return None
        try:
            value = await self._redis.get(self.key(history))
        except RedisError as exc:
            log.warning("reply_cache_unavailable", error=type(exc).__name__)
            return None
        return value.decode() if isinstance(value, bytes) else value

    async def put(self, history: Sequence[tuple[str, str]], reply: str) -> None:
        if self._ttl == 0:
            return
        try:
            await self._redis.set(self.key(history), reply, ex=self._ttl)
        except RedisError as exc:
            log.warning("reply_cache_unavailable", error=type(exc).__name__)
