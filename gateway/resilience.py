"""Calls to a dependency that may fail: a few retries inside the caller's deadline, behind a circuit breaker.

Retries (tenacity) smooth over a blip; the breaker (pybreaker, through `_AsyncBreaker` below) stops a dead
dependency from costing every request its full timeout: after `fail_max` failed attempts in a row it
opens, and calls fail at once with `DependencyUnavailable` until `reset_timeout` has passed, when one trial
call is let through. A guard made to wait out outages (Postgres, which every request needs) instead retries
until the caller's deadline, and a call whose deadline reaches past the next trial waits for it: a dependency
back within the deadline (Postgres restarted in 3 s) costs the caller a wait, not a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pybreaker
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

    code = "dependency_unavailable"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} is unavailable ({reason}); please retry shortly")
        self.dependency = name
        self.reason = reason


class _Transitions(pybreaker.CircuitBreakerListener):
    """Logs each change of a breaker's state and tells `on_change(name, state)` (for metrics), if given."""

    def __init__(self, name: str, on_change: Callable[[str, str], None] | None) -> None:
        self._name = name
        self._on_change = on_change

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        old = old_state.name if old_state is not None else None
        log.warning("circuit_breaker_changed", name=cb.name, old=old, new=new_state.name)
        if self._on_change is not None:
            self._on_change(self._name, new_state.name.replace("-", "_"))


class _AsyncBreaker:
    """pybreaker's circuit breaker for awaited calls, on its public API only.

    pybreaker (1.4) counts the calls it makes itself, synchronously: its `call_async` needs tornado, and
    its asyncio support is an open pull request (danielfm/pybreaker#103). Its half-open state also lets
    every call through, which in asyncio would be every request arriving while the trial is in flight.
    So admission is decided here from its state (`current_state`, and the storage's `opened_at`):
    closed lets calls through, open refuses them until `reset_timeout` has passed, then `half_open()`
    lets one trial through at a time. The call is awaited outside pybreaker, and its outcome is handed
    to `breaker.call` as a function that returns or raises it, so pybreaker itself counts failures,
    trips, closes, and tells its listeners.
    """

    def __init__(
        self,
        name: str,
        *,
        fail_max: int,
        reset_timeout: float,
        is_failure: Callable[[BaseException], bool],
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self._storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        listeners: list[pybreaker.CircuitBreakerListener] = [_Transitions(name, on_change)]
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            # Errors that are the caller's fault (a bad request) say nothing about the dependency's health.
            exclude=[lambda exc: not is_failure(exc)],
            listeners=listeners,
            state_storage=self._storage,
            name=name,
        )
        self._trial_running = False
        self._trial_done = asyncio.Event()

    @property
    def state(self) -> str:
        """`closed`, `open` or `half_open`."""
        return self.breaker.current_state.replace("-", "_")

    async def call(self, attempt: Callable[[], Awaitable[T]], *, deadline: float | None = None) -> T:
        """Await `attempt()` if the breaker lets it through; with a `deadline` (a `time.monotonic()` instant), an
        open breaker whose trial comes before it is waited for."""
        admitted = await self._admit_by(deadline) if deadline is not None else self._admit()
        try:
            try:
                result = await attempt()
            except Exception as exc:
                self._report(admitted, exc)
                raise
            self._report(admitted, None)
            return result
        finally:
            # A cancelled trial (BaseException) is neither a failure nor a success: the next call tries again.
            if admitted == pybreaker.STATE_HALF_OPEN:
                self._trial_running = False
                self._trial_done.set()

    async def _admit_by(self, deadline: float) -> str:
        """As `_admit`, waiting while the breaker's next trial (or the one in flight) comes before `deadline`."""
        while True:
            try:
                return self._admit()
            except _BreakerOpen:
                left = deadline - time.monotonic()
                if self._trial_running:
                    if left <= 0:
                        raise
                    # The trial's end wakes every waiter: closed, they go through; open again, they wait on.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._trial_done.wait(), timeout=left)
                    continue
                until = self._until_trial()
                if until >= left:
                    raise
                await asyncio.sleep(until)

    def _until_trial(self) -> float:
        """Seconds until an open breaker lets its next trial through (0 when it would now)."""
        opened_at = self._storage.opened_at
        if self.breaker.current_state != pybreaker.STATE_OPEN or opened_at is None:
            return 0.0
        reopens = opened_at + timedelta(seconds=self.breaker.reset_timeout)
        return max(0.0, (reopens - datetime.now(UTC)).total_seconds())

    def _admit(self) -> str:
        """The state this call is let through in; raises _BreakerOpen when it is not let through."""
        state = self.breaker.current_state
        if state == pybreaker.STATE_OPEN:
            if self._until_trial() > 0:
                raise _BreakerOpen()
            self.breaker.half_open()
            state = pybreaker.STATE_HALF_OPEN
        if state == pybreaker.STATE_HALF_OPEN:
            if self._trial_running:
                raise _BreakerOpen()
            self._trial_running = True
            self._trial_done = asyncio.Event()
        return state

    def _report(self, admitted: str, error: Exception | None) -> None:
        """Count the outcome of a call let through in `admitted`; raises _BreakerOpen when it trips the breaker."""
        if self.breaker.current_state != admitted:
            # Another call opened (or closed) the breaker while this one was awaited: that decision stands,
            # and a late outcome from before it is not counted again.
            return

        def outcome() -> None:
            if error is not None:
                raise error

        try:
            self.breaker.call(outcome)
        except pybreaker.CircuitBreakerError as tripped:
            raise _BreakerOpen() from error or tripped
        except Exception as raised:
            if raised is not error:
                raise


class Guard:
    """Retries and a circuit breaker around the awaited calls to one dependency.

    `is_failure` says which exceptions count against the dependency (a bad request does not);
    `retry_if` says which of those may be retried (default: all of them; a send that may already have
    been delivered must not be). With `wait_out_outages`, a call is retried until its deadline rather than
    `attempts` times, and through an open breaker too: for a dependency every request needs (Postgres), an outage
    shorter than the deadline costs the caller a wait, not a 503. `on_change(name, state)` is told each new state
    of the breaker (`closed`, `open`, `half_open`).
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
        retry_if: Callable[[BaseException], bool] | None = None,
        wait_out_outages: bool = False,
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self.name = name
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._is_failure = is_failure
        self._retry_if = retry_if or is_failure
        self._wait_out = wait_out_outages
        self._breaker = _AsyncBreaker(
            name, fail_max=fail_max, reset_timeout=reset_timeout, is_failure=is_failure, on_change=on_change
        )

    @property
    def state(self) -> str:
        """`closed`, `open` or `half_open`."""
        return self._breaker.state

    async def call(self, attempt: Callable[[float], Awaitable[T]], *, deadline: float) -> T:
        """Await `attempt(seconds_left)` until it succeeds, the attempts run out or `deadline` passes.

        `deadline` is a `time.monotonic()` instant; every attempt is told how much time is left, so
        retries never run past the request's own deadline. Raises DependencyUnavailable.
        """

        async def guarded() -> T:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _DeadlinePassed()
            # Only a guard made to wait out outages waits for an open breaker's trial; the others refuse at once.
            waits_until = deadline if self._wait_out else None
            return await self._breaker.call(lambda: attempt(deadline - time.monotonic()), deadline=waits_until)

        retrying = AsyncRetrying(
            stop=(
                stop_after_delay(max(0.0, deadline - time.monotonic()))
                if self._wait_out
                else stop_after_attempt(self._attempts) | stop_after_delay(max(0.0, deadline - time.monotonic()))
            ),
            wait=wait_exponential(multiplier=self._backoff, max=self._backoff * 8),
            retry=retry_if_exception(self._retryable),
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
        except _DeadlinePassed as exc:
            raise DependencyUnavailable(self.name, "deadline passed") from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, _BreakerOpen):
            return self._wait_out
        if isinstance(exc, _DeadlinePassed):
            return False
        return self._is_failure(exc) and self._retry_if(exc)


class _BreakerOpen(Exception):
    """The breaker refused the call without trying it."""


class _DeadlinePassed(TimeoutError):
    """No time was left for another attempt."""


class Guards:
    """The guards of one gateway process, one per dependency; their states show in /health."""

    def __init__(self, *, postgres: Guard, inference: Guard, sms: Guard, whatsapp: Guard) -> None:
        self.postgres = postgres
        self.inference = inference
        self.sms = sms  # the SMS provider (verification codes)
        self.whatsapp = whatsapp  # the Graph API (WhatsApp replies)

    def states(self) -> dict[str, str]:
        return {guard.name: guard.state for guard in (self.postgres, self.inference, self.sms, self.whatsapp)}
