"""The job queue (gateway/jobs.py): procrastinate's schema is our migration, and its retry schedule."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from procrastinate.jobs import Job, Status
from procrastinate.schema import SchemaManager

from gateway.jobs import Backoff, JobQueue, RetryAt

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "0016_job_queue.sql"
_PAUSE_LOCK = 4_242_016


def test_migration_0016_is_the_installed_procrastinates_schema_verbatim() -> None:
    """Upgrading procrastinate without adding its SQL migrations as ours must fail here, not in production."""
    found = re.search(r"^-- >>> .*?\n(.*)^-- <<< ", MIGRATION.read_text(encoding="utf-8"), re.S | re.M)
    assert found is not None
    assert found[1] == SchemaManager.get_schema()


def job(attempts: int) -> Job:
    return Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


def test_backoff_doubles_up_to_its_cap_and_stops_after_the_last_retry() -> None:
    backoff = Backoff(retries=4, first_seconds=2, max_seconds=10)
    waits: list[int | None] = []
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


async def test_a_job_whose_finish_the_server_refused_as_it_ended_the_session_is_finished_all_the_same(
    runtime_database_url: str, database_url: str
) -> None:
    """The session that records a job's end is terminated right then (as when every session of a copy is): the end is
    recorded on another, or the job would stay `doing` under a live worker and its lock hold the next job forever."""
    owner = await asyncpg.connect(database_url)
    queue = JobQueue(runtime_database_url, concurrency=1, lease_seconds=1.0, recover_every_seconds=1, grace_seconds=1)
    ran: list[int] = []

    @queue.app.task(name="test.quick", queue="test")
    async def quick(n: int) -> None:
        ran.append(n)

    try:
        # Recording the end waits on a lock the test holds, so the test can end that session mid-statement.
        await owner.execute(
            f"""
            CREATE FUNCTION test_pause() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_lock_shared({_PAUSE_LOCK});
                PERFORM pg_advisory_unlock_shared({_PAUSE_LOCK});
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER test_pause BEFORE UPDATE OF status ON procrastinate_jobs FOR EACH ROW
                WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION test_pause();
            """
        )
        await queue.app.open_async()
        first = await quick.configure(lock="one-sender").defer_async(n=1)
        second = await quick.configure(lock="one-sender").defer_async(n=2)
        await owner.execute("SELECT pg_advisory_lock($1)", _PAUSE_LOCK)
        worker = asyncio.create_task(
            queue.app.run_worker_async(queues=["test"], wait=False, install_signal_handlers=False)
        )
        for _ in range(500):
            held = await owner.fetchval(
                "SELECT pid FROM pg_locks WHERE NOT granted AND locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
            if held is not None:
                break
            await asyncio.sleep(0.02)
        assert held is not None, "the job's end was never recorded"
        assert await owner.fetchval("SELECT pg_terminate_backend($1)", held)
        await owner.execute("SELECT pg_advisory_unlock($1)", _PAUSE_LOCK)
        await asyncio.wait_for(worker, 10)
        # The first worker run may stop before the second job (its lock was taken until the first ended).
        await queue.app.run_worker_async(queues=["test"], wait=False, install_signal_handlers=False)

        manager = queue.app.job_manager
        assert await manager.get_job_status_async(first) == Status.SUCCEEDED
        assert await manager.get_job_status_async(second) == Status.SUCCEEDED
        assert ran == [1, 2]
    finally:
        await queue.app.close_async()
        await owner.close()


async def test_each_process_works_only_the_queues_of_the_tasks_it_registered(database_url: str) -> None:
    """The gateway and the notification worker share the tables: neither takes a job the other defined."""
    gateway = JobQueue(database_url, concurrency=1, lease_seconds=1.0, recover_every_seconds=1, grace_seconds=1)
    other = JobQueue(
        database_url,
        concurrency=1,
        lease_seconds=1.0,
        recover_every_seconds=1,
        grace_seconds=1,
        namespace="other.jobs",
        worker_name="other",
    )
    ran: list[int] = []

    @other.app.task(name="other.work", queue="other")
    async def work(n: int) -> None:
        ran.append(n)

    assert gateway.queues() == ["builtin", "jobs"]
    assert other.queues() == ["builtin", "other", "other.jobs"]
    await gateway.app.open_async()
    await other.app.open_async()
    try:
        job_id = await work.defer_async(n=1)
        await gateway.app.run_worker_async(queues=gateway.queues(), wait=False, install_signal_handlers=False)
        assert await gateway.app.job_manager.get_job_status_async(job_id) == Status.TODO
        await other.app.run_worker_async(queues=other.queues(), wait=False, install_signal_handlers=False)
        assert ran == [1]
    finally:
        await gateway.app.close_async()
        await other.app.close_async()
