"""Rate limits with GCRA (the generic cell rate algorithm): a sustained rate plus a burst.

The state of each limit is one number, its "theoretical arrival time", kept in Redis and updated by a
Lua script, so every gateway copy shares the same limits and concurrent requests cannot race past them.
The script reads Redis's own clock, so the gateways' clocks do not matter. When Redis cannot be
reached, an in-process limiter with the same algorithm takes over (limits then hold per copy) until
Redis answers again; `mode` says which one is in use.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as redis
import structlog
from redis.exceptions import RedisError

from gateway.errors import GatewayError

log = structlog.get_logger(__name__)

# KEYS: the limit's key.  ARGV: emission interval (µs), burst.  -> {allowed (0/1), retry after (µs)}
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then return {0, allow_at - now} end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, 0}
"""
# While local, Redis is tried again after this long.
REDIS_RETRY_SECONDS = 5.0
# How many limits the in-process fallback remembers (least recently used are forgotten).
_LOCAL_KEYS = 100_000


@dataclass(frozen=True)
class Limit:
    """`per_minute` requests per minute sustained, `burst` of them at once."""

    per_minute: float
    burst: int

    @property
    def interval_us(self) -> int:
        return max(1, round(60_000_000 / self.per_minute))


class RateLimited(GatewayError):
    code = "rate_limited"

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"too many requests for this {scope}; retry in {retry_after} s", retry_after=retry_after)
        self.scope = scope


class RateLimiter:
    """Checks the `limits` of each scope ("user", "api_key") in Redis under `prefix`, or in this process
    while Redis is unreachable. `on_limited(scope)` hears every refusal (for metrics)."""

    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        prefix: str,
        limits: Mapping[str, Limit],
        on_limited: Callable[[str], None] = lambda scope: None,
    ) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._limits = dict(limits)
        self._on_limited = on_limited
        self._script = redis_client.register_script(_GCRA)
        self._local: OrderedDict[str, int] = OrderedDict()
        self.mode: Literal["redis", "local"] = "redis"
        self._retry_redis_at = 0.0

    async def check(self, scope: str, identity: str) -> None:
        """Count one request of `identity` against its scope's limit; raise RateLimited when over it."""
        limit = self._limits[scope]
        # Keys name a hash of the identity, so Redis never holds phone numbers in its key names.
        key = f"{self._prefix}:rl:{scope}:{hashlib.sha256(identity.encode()).hexdigest()[:24]}"
        if self.mode == "local" and time.monotonic() < self._retry_redis_at:
            allowed, wait_us = self._check_locally(key, limit)
        else:
            try:
                allowed, wait_us = await self._script(keys=[key], args=[limit.interval_us, limit.burst])
                self._switch("redis")
            except RedisError as exc:
                self._switch("local", error=type(exc).__name__)
                # Do not pay a failing connection on every request: try Redis again a little later.
                self._retry_redis_at = time.monotonic() + REDIS_RETRY_SECONDS
                allowed, wait_us = self._check_locally(key, limit)
        if not int(allowed):
            log.info("rate_limited", scope=scope)
            self._on_limited(scope)
            raise RateLimited(scope, max(1, math.ceil(int(wait_us) / 1_000_000)))

    def _check_locally(self, key: str, limit: Limit) -> tuple[int, int]:
        now = time.monotonic_ns() // 1000
        tat = max(self._local.pop(key, now), now)
        new_tat = tat + limit.interval_us
        allow_at = new_tat - limit.interval_us * limit.burst
        if now < allow_at:
            self._local[key] = tat
            return 0, allow_at - now
        self._local[key] = new_tat
        while len(self._local) > _LOCAL_KEYS:
            self._local.popitem(last=False)
        return 1, 0

    def _switch(self, mode: Literal["redis", "local"], *, error: str | None = None) -> None:
        if mode != self.mode:
            self.mode = mode
            if mode == "local":
                log.warning("rate_limiter_local", reason="redis unreachable", error=error)
            else:
                log.info("rate_limiter_redis", reason="redis answers again")
