"""Guard: retries inside a deadline, and a breaker that stops calling a dead dependency."""

from __future__ import annotations

import asyncio
import time

import pytest
from structlog.testing import capture_logs

from gateway.api.errors import http_status
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


def postgres_guard(**overrides: float) -> Guard:
    """A guard made to wait out outages, as the gateway's Postgres guard is."""
    values = {"attempts": 3, "backoff_seconds": 0.05, "fail_max": 2, "reset_timeout": 0.3, **overrides}
    return Guard(
        "postgres",
        attempts=int(values["attempts"]),
        backoff_seconds=values["backoff_seconds"],
        fail_max=int(values["fail_max"]),
        reset_timeout=values["reset_timeout"],
        is_failure=lambda exc: isinstance(exc, ConnectionError),
        wait_out_outages=True,
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
    assert http_status(failed.value) == 503


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


async def test_while_the_trial_runs_every_other_call_is_refused_without_calling() -> None:
    breaker = guard(attempts=1, fail_max=1, reset_timeout=0.2)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(Flaky(failures=1), deadline=soon())
    await asyncio.sleep(0.25)

    started, release = asyncio.Event(), asyncio.Event()

    async def slow_recovery(seconds_left: float) -> str:
        started.set()
        await release.wait()
        return "ok"

    trial = asyncio.create_task(breaker.call(slow_recovery, deadline=soon()))
    await started.wait()
    assert breaker.state == "half_open"
    others = Flaky(failures=0)
    for _ in range(3):
        with pytest.raises(DependencyUnavailable) as refused:
            await breaker.call(others, deadline=soon())
        assert "circuit open" in refused.value.message
    assert others.calls == []

    release.set()
    assert await trial == "ok"
    assert breaker.state == "closed"
    assert await breaker.call(others, deadline=soon()) == "ok"


async def test_a_failed_trial_opens_it_for_another_reset_timeout() -> None:
    breaker = guard(attempts=3, fail_max=1, reset_timeout=0.3)
    dependency = Flaky(failures=100)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(dependency, deadline=soon())
    await asyncio.sleep(0.35)

    with pytest.raises(DependencyUnavailable) as failed:
        await breaker.call(dependency, deadline=soon())
    assert "circuit open" in failed.value.message
    assert len(dependency.calls) == 2  # the trial tripped it again: no retry hammers a dependency that just failed
    assert breaker.state == "open"
    with pytest.raises(DependencyUnavailable):
        await breaker.call(dependency, deadline=soon(0.1))  # cannot wait for the next trial: refused at once
    assert len(dependency.calls) == 2


async def test_calls_that_can_wait_for_the_trial_wait_and_one_trial_goes_first() -> None:
    """Postgres back 0.5 s after it failed: requests arriving meanwhile are answered, not refused with 503."""
    breaker = postgres_guard(attempts=1, fail_max=1, reset_timeout=0.5)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(Flaky(failures=1), deadline=soon(0.2))
    assert breaker.state == "open"
    calls: list[float] = []

    async def recovered(seconds_left: float) -> str:
        calls.append(time.monotonic())
        await asyncio.sleep(0.1)  # the trial is in flight while the others arrive
        return "ok"

    results = await asyncio.gather(*(breaker.call(recovered, deadline=soon(5)) for _ in range(5)))

    assert results == ["ok"] * 5
    assert breaker.state == "closed"
    assert calls[1] - calls[0] >= 0.1  # the others went through only once the trial had closed the breaker


async def test_a_cancelled_trial_lets_the_next_call_try() -> None:
    breaker = guard(attempts=1, fail_max=1, reset_timeout=0.2)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(Flaky(failures=1), deadline=soon())
    await asyncio.sleep(0.25)

    started = asyncio.Event()

    async def hangs(seconds_left: float) -> str:
        started.set()
        await asyncio.sleep(60)
        return "late"

    trial = asyncio.create_task(breaker.call(hangs, deadline=soon()))
    await started.wait()
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial

    assert breaker.state == "half_open"
    assert await breaker.call(Flaky(failures=0), deadline=soon()) == "ok"
    assert breaker.state == "closed"


async def test_calls_already_in_flight_when_it_opens_do_not_open_it_again() -> None:
    breaker = guard(attempts=1, fail_max=2, reset_timeout=60)
    release = asyncio.Event()

    async def fails_when_released(seconds_left: float) -> str:
        await release.wait()
        raise ConnectionError("down")

    with capture_logs() as logs:
        in_flight = [asyncio.create_task(breaker.call(fails_when_released, deadline=soon())) for _ in range(5)]
        await asyncio.sleep(0.05)
        release.set()
        outcomes = await asyncio.gather(*in_flight, return_exceptions=True)

    assert all(isinstance(outcome, DependencyUnavailable) for outcome in outcomes)
    changes = [(e["old"], e["new"]) for e in logs if e["event"] == "circuit_breaker_changed"]
    assert changes == [("closed", "open")]


async def test_every_state_change_is_logged_with_the_breakers_name() -> None:
    breaker = guard(attempts=1, fail_max=1, reset_timeout=0.2)
    with capture_logs() as logs:
        with pytest.raises(DependencyUnavailable):
            await breaker.call(Flaky(failures=1), deadline=soon())
        await asyncio.sleep(0.25)
        await breaker.call(Flaky(failures=0), deadline=soon())

    changes = [(e["name"], e["old"], e["new"]) for e in logs if e["event"] == "circuit_breaker_changed"]
    assert changes == [("dep", "closed", "open"), ("dep", "open", "half-open"), ("dep", "half-open", "closed")]


class DownFor:
    """A dependency down for its first `seconds` (a Postgres restart), then answering; counts its calls."""

    def __init__(self, seconds: float) -> None:
        self.back_at = time.monotonic() + seconds
        self.calls = 0

    async def __call__(self, seconds_left: float) -> str:
        self.calls += 1
        if time.monotonic() < self.back_at:
            raise ConnectionError("down")
        return "ok"


async def test_an_outage_shorter_than_the_deadline_is_waited_out_by_a_guard_made_to() -> None:
    patient = postgres_guard(fail_max=2, reset_timeout=0.3)
    restarting = DownFor(1.0)

    assert await patient.call(restarting, deadline=soon(5)) == "ok"
    assert restarting.calls < 15  # the open breaker's trials pace it: no hammering while it is down

    with pytest.raises(DependencyUnavailable):  # three attempts and no waiting: the same outage is a 503
        await guard(attempts=3, fail_max=2, reset_timeout=0.3).call(DownFor(1.0), deadline=soon(5))


async def test_an_outage_longer_than_the_deadline_still_fails_at_the_deadline() -> None:
    patient = postgres_guard(fail_max=2, reset_timeout=0.3)
    started = time.monotonic()

    with pytest.raises(DependencyUnavailable):
        await patient.call(DownFor(60), deadline=soon(1.0))
    assert time.monotonic() - started < 5


async def test_each_new_state_of_the_breaker_is_told() -> None:
    told: list[tuple[str, str]] = []
    dep = Guard(
        "inference",
        attempts=1,
        backoff_seconds=0.01,
        fail_max=1,
        reset_timeout=0.05,
        is_failure=lambda exc: isinstance(exc, ConnectionError),
        on_change=lambda name, state: told.append((name, state)),
    )
    with pytest.raises(DependencyUnavailable):
        await dep.call(Flaky(failures=1), deadline=soon())
    await asyncio.sleep(0.1)
    assert await dep.call(Flaky(failures=0), deadline=soon()) == "ok"

    assert told == [("inference", "open"), ("inference", "half_open"), ("inference", "closed")]
