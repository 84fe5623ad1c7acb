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

# KEYS: the limits' keys.  ARGV: each one's emission interval (µs) and burst, in turn.
# -> {allowed (0/1), retry after (µs), which key refused (1-based; 0 when allowed)}
# A request counts against all its limits or none: one that refuses it leaves the others untouched.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next_tats = {}
for i, key in ipairs(KEYS) do
    local interval = tonumber(ARGV[2 * i - 1])
    local burst = tonumber(ARGV[2 * i])
    local tat = tonumber(redis.call('GET', key) or '0')
    if tat < now then tat = now end
    local new_tat = tat + interval
    local allow_at = new_tat - interval * burst
    if now < allow_at then return {0, allow_at - now, i} end
    next_tats[i] = new_tat
end
for i, key in ipairs(KEYS) do
    redis.call('SET', key, string.format('%d', next_tats[i]), 'PX', math.ceil((next_tats[i] - now) / 1000))
end
return {1, 0, 0}
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

    async def check(self, scope: str, identity: str, *more: tuple[str, str]) -> None:
        """Count one request of `identity` against its scope's limit (and of each further (scope, identity) pair
        against its own, in the same Redis call); raise RateLimited for the first limit it is over, counting it
        against none."""
        checked = [(scope, identity), *more]
        limits = [self._limits[scope] for scope, _ in checked]
        # Keys name a hash of the identity, so Redis never holds phone numbers in its key names.
        keys = [f"{self._prefix}:rl:{s}:{hashlib.sha256(i.encode()).hexdigest()[:24]}" for s, i in checked]
        if self.mode == "local" and time.monotonic() < self._retry_redis_at:
            allowed, wait_us, refused = self._check_locally(keys, limits)
        else:
            try:
                args = [value for limit in limits for value in (limit.interval_us, limit.burst)]
                allowed, wait_us, refused = await self._script(keys=keys, args=args)
                self._switch("redis")
            except RedisError as exc:
                self._switch("local", error=type(exc).__name__)
                # Do not pay a failing connection on every request: try Redis again a little later.
                self._retry_redis_at = time.monotonic() + REDIS_RETRY_SECONDS
                allowed, wait_us, refused = self._check_locally(keys, limits)
        if not int(allowed):
            scope = checked[int(refused) - 1][0]
            log.info("rate_limited", scope=scope)
            self._on_limited(scope)
            raise RateLimited(scope, max(1, math.ceil(int(wait_us) / 1_000_000)))

    def _check_locally(self, keys: list[str], limits: list[Limit]) -> tuple[int, int, int]:
        """The script's answer, from this process's own counts."""
        now = time.monotonic_ns() // 1000
        next_tats = []
        for at, (key, limit) in enumerate(zip(keys, limits, strict=True), start=1):
            tat = max(self._local.get(key, now), now)
            new_tat = tat + limit.interval_us
            allow_at = new_tat - limit.interval_us * limit.burst
            if now < allow_at:
                return 0, allow_at - now, at
            next_tats.append(new_tat)
        for key, new_tat in zip(keys, next_tats, strict=True):
            self._local.pop(key, None)
            self._local[key] = new_tat
        while len(self._local) > _LOCAL_KEYS:
            self._local.popitem(last=False)
        return 1, 0, 0

    def _switch(self, mode: Literal["redis", "local"], *, error: str | None = None) -> None:
        if mode != self.mode:
            self.mode = mode
            if mode == "local":
                log.warning("rate_limiter_local", reason="redis unreachable", error=error)
            else:
                log.info("rate_limiter_redis", reason="redis answers again")
