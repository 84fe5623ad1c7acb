"""The job queue (gateway/jobs.py): procrastinate's schema is our migration, and its retry schedule."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from procrastinate.jobs import Job, Status
from procrastinate.schema import SchemaManager

from gateway.jobs import Backoff, JobQueue, RetryAt

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "0016_job_queue.sql"


def test_migration_0016_is_the_installed_procrastinates_schema_verbatim() -> None:
    """Upgrading procrastinate without adding its SQL migrations as ours must fail here, not in production."""
    found = re.search(r"^-- >>> .*?\n(.*)^-- <<< ", MIGRATION.read_text(encoding="utf-8"), re.S | re.M)
    assert found is not None
    assert found[1] == SchemaManager.get_schema()


def job(attempts: int) -> Job:
    return Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


def test_backoff_doubles_up_to_its_cap_and_stops_after_the_last_retry() -> None:
    backoff = Backoff(retries=4, first_seconds=2, max_seconds=10)
    waits = []
    for attempts in range(5):
        decision = backoff.get_retry_decision(exception=TimeoutError(), job=job(attempts))
        if decision is None:
            waits.append(None)
            continue
        assert decision.retry_at is not None
        waits.append(round((decision.retry_at - datetime.now(UTC)).total_seconds()))

    assert waits == [2, 4, 8, 10, None]
    assert [backoff.is_last(n) for n in range(5)] == [False, False, False, False, True]


def test_a_job_asking_to_run_again_later_gets_that_time_even_on_its_last_attempt() -> None:
    at = datetime.now(UTC) + timedelta(seconds=7)
    decision = Backoff(retries=1, first_seconds=1, max_seconds=1).get_retry_decision(
        exception=RetryAt(at, "a lease held elsewhere"), job=job(5)
    )
    assert decision is not None and decision.retry_at == at


async def test_the_runtime_role_may_defer_run_retry_and_prune_jobs(runtime_database_url: str) -> None:
    """Every statement procrastinate runs for the gateway works with the grants of migration 0016 alone."""
    queue = JobQueue(runtime_database_url, concurrency=1, lease_seconds=1.0, recover_every_seconds=1, grace_seconds=1)
    ran: list[int] = []

    @queue.app.task(name="test.flaky", queue="test", retry=Backoff(retries=1, first_seconds=0.01, max_seconds=0.01))
    async def flaky(n: int) -> None:
        ran.append(n)
        if len(ran) == 1:
            raise TimeoutError("first run fails")

    await queue.app.open_async()
    try:
        job_id = await flaky.configure(lock="test-lock").defer_async(n=7)
        await queue.app.run_worker_async(queues=["test"], wait=False, install_signal_handlers=False)
        await asyncio.sleep(0.05)
        await queue.app.run_worker_async(queues=["test"], wait=False, install_signal_handlers=False)
        assert ran == [7, 7]
        manager = queue.app.job_manager
        assert await manager.get_job_status_async(job_id) == Status.SUCCEEDED
        await manager.delete_old_jobs(nb_hours=0, include_failed=True)
        assert await manager.list_jobs_async(id=job_id) == []
    finally:
        await queue.app.close_async()
