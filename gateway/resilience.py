"""Calls to a dependency that may fail: a few retries inside the caller's deadline, behind a circuit breaker.

Retries (tenacity) smooth over a blip; the breaker (aiobreaker, pybreaker's asyncio fork) stops a dead
dependency from costing every request its full timeout: after `fail_max` failed attempts in a row it
opens, and calls fail at once with `DependencyUnavailable` until `reset_timeout` has passed, when one
trial call is let through.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import aiobreaker
import structlog
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from gateway.errors import GatewayError

log = structlog.get_logger(__name__)
T = TypeVar("T")


class DependencyUnavailable(GatewayError):
    """A dependency failed every attempt, or its breaker is open."""

    status_code = 503
    code = "dependency_unavailable"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} is unavailable ({reason}); please retry shortly")
        self.dependency = name
        self.reason = reason


class _LogTransitions(aiobreaker.CircuitBreakerListener):  # type: ignore[misc]
    def state_change(self, breaker: aiobreaker.CircuitBreaker, old: object, new: object) -> None:
        log.warning("circuit_breaker_changed", name=breaker.name, old=str(old), new=str(new))


class Guard:
    """Retries and a circuit breaker around the awaited calls to one dependency.

    `is_failure` says which exceptions count against the dependency (a bad request does not);
    `on_change` hears every state change (for metrics).
    """

    def __init__(
        self,
        name: str,
        *,
        attempts: int,
        backoff_seconds: float,
        fail_max: int,
        reset_timeout: float,
        is_failure: Callable[[BaseException], bool],
    ) -> None:
        self.name = name
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._is_failure = is_failure
        self._breaker = aiobreaker.CircuitBreaker(
            fail_max=fail_max,
            timeout_duration=timedelta(seconds=reset_timeout),
            # Errors that are the caller's fault (a bad request) say nothing about the dependency's health.
            exclude=[lambda exc: not is_failure(exc)],
            listeners=[_LogTransitions()],
            name=name,
        )

    @property
    def state(self) -> str:
        """`closed`, `open` or `half_open`."""
        state: str = self._breaker.current_state.name.lower()
        return state

    async def call(self, attempt: Callable[[float], Awaitable[T]], *, deadline: float) -> T:
        """Await `attempt(seconds_left)` until it succeeds, the attempts run out or `deadline` passes.

        `deadline` is a `time.monotonic()` instant; every attempt is told how much time is left, so
        retries never run past the request's own deadline. Raises DependencyUnavailable.
        """

        async def guarded() -> T:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline passed")
            try:
                result: T = await self._breaker.call_async(attempt, left)
                return result
            except aiobreaker.CircuitBreakerError as exc:
                raise _BreakerOpen() from exc

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts) | stop_after_delay(max(0.0, deadline - time.monotonic())),
            wait=wait_exponential(multiplier=self._backoff, max=self._backoff * 8),
            retry=retry_if_exception(lambda exc: not isinstance(exc, _BreakerOpen) and self._is_failure(exc)),
            reraise=False,
        )
        try:
            async for try_ in retrying:
                with try_:
                    return await guarded()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise DependencyUnavailable(self.name, type(cause).__name__) from cause
        except _BreakerOpen as exc:
            raise DependencyUnavailable(self.name, "circuit open") from exc
        raise AssertionError("unreachable: tenacity either returns or raises")


class _BreakerOpen(Exception):
    """The breaker refused the call without trying it."""


class Guards:
    """The guards of one gateway process, one per dependency; their states show in /health."""

    def __init__(self, *, postgres: Guard, inference: Guard) -> None:
        self.postgres = postgres
        self.inference = inference

    def states(self) -> dict[str, str]:
        return {guard.name: guard.state for guard in (self.postgres, self.inference)}
