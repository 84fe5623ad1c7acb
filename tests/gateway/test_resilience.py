"""Guard: retries inside a deadline, and a breaker that stops calling a dead dependency."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.resilience import DependencyUnavailable, Guard


class Flaky:
    """A dependency that fails its first `failures` calls, then answers; counts the calls it got."""

    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self.failures = failures
        self.error = error
        self.calls: list[float] = []

    async def __call__(self, seconds_left: float) -> str:
        self.calls.append(seconds_left)
        if len(self.calls) <= self.failures:
            raise self.error("down")
        return "ok"


def guard(**overrides: float) -> Guard:
    values = {"attempts": 3, "backoff_seconds": 0.01, "fail_max": 5, "reset_timeout": 60.0, **overrides}
    return Guard(
        "dep",
        attempts=int(values["attempts"]),
        backoff_seconds=values["backoff_seconds"],
        fail_max=int(values["fail_max"]),
        reset_timeout=values["reset_timeout"],
        is_failure=lambda exc: isinstance(exc, (ConnectionError, TimeoutError)),
    )


def soon(seconds: float = 30) -> float:
    return time.monotonic() + seconds


async def test_a_blip_is_retried() -> None:
    dependency = Flaky(failures=2)
    assert await guard().call(dependency, deadline=soon()) == "ok"
    assert len(dependency.calls) == 3


async def test_attempts_run_out() -> None:
    dependency = Flaky(failures=10)
    with pytest.raises(DependencyUnavailable) as failed:
        await guard().call(dependency, deadline=soon())
    assert len(dependency.calls) == 3
    assert failed.value.status_code == 503


async def test_each_attempt_is_told_the_time_left_and_none_starts_past_the_deadline() -> None:
    async def slow(seconds_left: float) -> str:
        calls.append(seconds_left)
        await asyncio.sleep(seconds_left)
        raise TimeoutError

    calls: list[float] = []
    with pytest.raises(DependencyUnavailable):
        await guard(attempts=5).call(slow, deadline=soon(0.3))
    assert calls and calls[0] <= 0.3
    assert len(calls) == 1  # the first attempt used the whole budget; no retry started after it


async def test_the_breaker_opens_and_then_calls_nothing() -> None:
    breaker = guard(attempts=1, fail_max=3)
    dependency = Flaky(failures=100)
    for _ in range(3):
        with pytest.raises(DependencyUnavailable):
            await breaker.call(dependency, deadline=soon())
    assert breaker.state == "open"

    with pytest.raises(DependencyUnavailable) as refused:
        await breaker.call(dependency, deadline=soon())
    assert "circuit open" in refused.value.message
    assert len(dependency.calls) == 3


async def test_after_the_reset_timeout_one_trial_closes_it_again() -> None:
    breaker = guard(attempts=1, fail_max=1, reset_timeout=0.2)
    dependency = Flaky(failures=1)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(dependency, deadline=soon())
    assert breaker.state == "open"
    await asyncio.sleep(0.25)
    assert await breaker.call(dependency, deadline=soon()) == "ok"
    assert breaker.state == "closed"


async def test_errors_that_are_not_the_dependencys_fault_are_neither_retried_nor_counted() -> None:
    breaker = guard(fail_max=1)
    dependency = Flaky(failures=5, error=ValueError)
    with pytest.raises(ValueError):
        await breaker.call(dependency, deadline=soon())
    assert len(dependency.calls) == 1
    assert breaker.state == "closed"
