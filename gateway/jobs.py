"""Durable jobs in PostgreSQL (procrastinate), worked by every gateway copy inside its own process.

Work that must outlive the request that started it (answering a WhatsApp message; reminders later) is a row in
`procrastinate_jobs`, not an asyncio task: whichever copy is alive runs it, and a copy that dies mid-job loses
nothing but time.

- **Schema.** procrastinate's `schema.sql` is our migration 0016, applied like every other one (`make run`, the
  tests, `gateway.cli migrate`), with the grants the runtime role needs; upgrading procrastinate means adding its
  SQL migrations as a new migration of ours (0016's header says how).
- **Connection.** procrastinate speaks psycopg 3 (`PsycopgConnector`, a `psycopg_pool.AsyncConnectionPool` that
  checks each connection before lending it), so the queue has a small pool of its own beside asyncpg's, logging in
  with the same `DATABASE_URL`. LISTEN/NOTIFY wakes the worker when a job is deferred; it polls every second too.
- **Worker.** An asyncio task started in the app's lifespan (`start`), running `concurrency` jobs at once. uvicorn
  owns the signals (`install_signal_handlers=False`); at shutdown `aclose` cancels the worker, which stops
  fetching, waits up to `grace_seconds` for running jobs, aborts the rest (an abort at shutdown is retried) and
  unregisters itself.
- **Lease.** The worker writes a heartbeat every `lease_seconds / 3`. A job whose worker has not beaten for
  `lease_seconds` (SIGKILL, a lost host) is stalled: the periodic `jobs.recover` task, deferred once per tick by
  whichever copy gets there first, puts it back in the queue (procrastinate's recipe: `get_stalled_jobs` then
  `retry_job`, which counts an attempt), and another copy takes it over. A starting worker also prunes workers
  whose heartbeats stopped, which releases their jobs the same way.
- **Supervision.** procrastinate stops a worker whose side task (heartbeat, listener, periodic deferrer) fails,
  which a Postgres restart does; the supervisor here starts it again after a backoff, so a copy never stays deaf.
- **Lost sessions.** A statement of the queue's whose session the server ended (terminated, shut down) is run once
  more on a fresh connection (`_Connector`). Without that, a job whose `finish_job` was refused so stays `doing`
  under a worker that is alive and beating, so it is never stalled, and its lock holds the sender's next messages
  for as long as the copy lives.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import procrastinate
import psycopg
import structlog
from procrastinate.exceptions import ConnectorException
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

log = structlog.get_logger(__name__)

RECOVER_TASK = "jobs.recover"
PRUNE_TASK = "jobs.prune"
# The gateway's queue of its own upkeep tasks; another process sharing the tables (notifications) names its own.
NAMESPACE = "jobs"
KEEP_FINISHED_HOURS = 7 * 24
# procrastinate logs each job start and each periodic defer at INFO: its warnings and errors are enough.
logging.getLogger("procrastinate").setLevel(logging.WARNING)
_POOL_MAX_SIZE = 4
_POOL_TIMEOUT_FLOOR = 5.0
_SUPERVISOR_MAX_BACKOFF_SECONDS = 30.0


class RetryAt(Exception):
    """Raised by a job to run again at `at` (e.g. when a lease held elsewhere ends)."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at


class Backoff(BaseRetryStrategy):
    """Exponential backoff: `first_seconds`, twice that, … up to `max_seconds`, for `retries` retries.

    `job.attempts` is the number of earlier runs (0 on the first); a run lost with its copy counts as one.
    """

    def __init__(self, *, retries: int, first_seconds: float, max_seconds: float) -> None:
        self.retries = retries
        self.first_seconds = first_seconds
        self.max_seconds = max_seconds

    def is_last(self, attempts: int) -> bool:
        return attempts >= self.retries

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryAt):
            return RetryDecision(retry_at=exception.at)
        if self.is_last(job.attempts):
            return None
        wait = min(self.max_seconds, self.first_seconds * 2**job.attempts)
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=wait))


# Errors the server sends when it ends the session (pg_terminate_backend, a shutdown, a crash, an idle timeout):
# whatever the statement or its COMMIT was doing was rolled back, so running it again does it once.
_SESSION_ENDED: tuple[type[psycopg.Error], ...] = (
    psycopg.errors.AdminShutdown,
    psycopg.errors.CrashShutdown,
    psycopg.errors.CannotConnectNow,
    psycopg.errors.IdleSessionTimeout,
    psycopg.errors.IdleInTransactionSessionTimeout,
)


class _Connector(procrastinate.PsycopgConnector):
    """procrastinate's connector, running a statement once more when the server ended its session under it.

    Only on an error the server sent (so nothing was committed); a connection that just went silent is not
    retried, as its COMMIT may have gone through. The pool discards the ended connection and lends a checked one.
    """

    async def execute_query_async(self, query: LiteralString, **arguments: Any) -> None:
        try:
            await super().execute_query_async(query, **arguments)
            return
        except ConnectorException as exc:
            _raise_unless_session_ended(exc)
        await super().execute_query_async(query, **arguments)

    async def execute_query_one_async(self, query: LiteralString, **arguments: Any) -> dict[str, Any]:
        row: dict[str, Any]
        try:
            row = await super().execute_query_one_async(query, **arguments)
            return row
        except ConnectorException as exc:
            _raise_unless_session_ended(exc)
        row = await super().execute_query_one_async(query, **arguments)
        return row

    async def execute_query_all_async(self, query: LiteralString, **arguments: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]]
        try:
            rows = await super().execute_query_all_async(query, **arguments)
            return rows
        except ConnectorException as exc:
            _raise_unless_session_ended(exc)
        rows = await super().execute_query_all_async(query, **arguments)
        return rows


def _raise_unless_session_ended(exc: ConnectorException) -> None:
    if not isinstance(exc.__cause__, _SESSION_ENDED):
        raise exc
    log.info("job_queue_session_lost", error=type(exc.__cause__).__name__)


def _conninfo(database_url: str) -> str:
    # asyncpg and libpq read the same postgresql:// URLs; libpq knows only the `postgresql`/`postgres` schemes.
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class JobQueue:
    """A procrastinate app on `database_url`, and the worker that runs its jobs in this process."""

    def __init__(
        self,
        database_url: str,
        *,
        concurrency: int,
        lease_seconds: float,
        recover_every_seconds: int,
        grace_seconds: float,
        connect_timeout: float = 5.0,
        on_worker: Callable[[bool], None] | None = None,
        namespace: str = NAMESPACE,
        worker_name: str = "gateway",
    ) -> None:
        connector = _Connector(
            conninfo=_conninfo(database_url),
            min_size=1,
            max_size=_POOL_MAX_SIZE,
            # How long a query waits for a pooled connection: with the database gone, fail soon, not after 30 s.
            timeout=max(_POOL_TIMEOUT_FLOOR, 2 * connect_timeout),
            kwargs={"connect_timeout": max(1, round(connect_timeout))},
        )
        self.app = procrastinate.App(connector=connector)
        self.lease_seconds = lease_seconds
        self._concurrency = concurrency
        self._grace = grace_seconds
        self._recoveries: list[Callable[[], Awaitable[None]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        # Told True when the worker starts, False when it stopped or failed (the metric job_worker_up).
        self._on_worker = on_worker or (lambda running: None)
        self._worker_name = worker_name
        self._register_recovery(recover_every_seconds, namespace)

    def _register_recovery(self, every_seconds: int, namespace: str) -> None:
        app = self.app
        recover_task, prune_task = f"{namespace}.recover", f"{namespace}.prune"

        # A 6th cron field is seconds. The queueing lock keeps at most one waiting at a time. Each process that
        # shares the tables has its own namespace: its recovery runs its own `on_recover` work.
        @app.periodic(cron=f"* * * * * */{every_seconds}", periodic_id="recover")
        @app.task(name=recover_task, queue=namespace, queueing_lock=recover_task)
        async def recover(timestamp: int) -> None:
            # Only this process's queues: two processes retrying one stalled job at once, the second would fail.
            for queue in self.queues():
                for job in await app.job_manager.get_stalled_jobs(
                    seconds_since_heartbeat=self.lease_seconds, queue=queue
                ):
                    await app.job_manager.retry_job(job)
                    log.warning("job_stalled_retried", task=job.task_name, job_id=job.id, attempts=job.attempts)
            for recovery in self._recoveries:
                await recovery()

        # Succeeded jobs are deleted as they finish; failed ones (their messages are `failed` in their own tables
        # too) and the events of both are kept a week for investigation, then removed.
        @app.periodic(cron="17 * * * *", periodic_id="prune")
        @app.task(name=prune_task, queue=namespace, queueing_lock=prune_task)
        async def prune(timestamp: int) -> None:
            await app.job_manager.delete_old_jobs(
                nb_hours=KEEP_FINISHED_HOURS, include_failed=True, include_cancelled=True, include_aborted=True
            )

    def queues(self) -> list[str]:
        """The queues of the tasks this process registered: its worker takes no job another process defined."""
        return sorted({task.queue for task in self.app.tasks.values()})

    def on_recover(self, recovery: Callable[[], Awaitable[None]]) -> None:
        """Also run `recovery` on each recovery tick (e.g. to queue work a dead copy stored but never queued)."""
        self._recoveries.append(recovery)

    async def start(self) -> None:
        """Open the queue's pool and start the worker (raises if the database cannot be reached)."""
        await self.app.open_async()
        self._worker = asyncio.create_task(self._supervise(), name="job-worker")

    async def _supervise(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            self._on_worker(True)
            try:
                await self.app.run_worker_async(
                    name=f"{self._worker_name}-{os.getpid()}",
                    queues=self.queues(),
                    concurrency=self._concurrency,
                    install_signal_handlers=False,
                    listen_notify=True,
                    fetch_job_polling_interval=1.0,
                    abort_job_polling_interval=5.0,
                    update_heartbeat_interval=self.lease_seconds / 3,
                    stalled_worker_timeout=self.lease_seconds,
                    shutdown_graceful_timeout=self._grace,
                    delete_jobs="successful",
                )
                log.warning("job_worker_stopped")
            except Exception as exc:  # the database went away under the worker: start it again
                log.warning("job_worker_failed", error=type(exc).__name__)
            finally:
                self._on_worker(False)
            if self._stopping.is_set():
                # Cancelled while the worker shut down: its last step (unregistering, with the database gone) may
                # have raised in place of the cancellation, which must still end this loop.
                return
            if time.monotonic() - started > _SUPERVISOR_MAX_BACKOFF_SECONDS:
                backoff = 1.0
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _SUPERVISOR_MAX_BACKOFF_SECONDS)

    async def aclose(self) -> None:
        """Stop the worker (running jobs get the grace period, then are aborted and retried elsewhere)."""
        if self._worker is not None:
            self._stopping.set()
            self._worker.cancel()
            # The grace for running jobs, then time to hand them back and unregister (bounded: the database may
            # be gone); past that the worker is abandoned, and its jobs are taken over after the lease.
            done, _ = await asyncio.wait({self._worker}, timeout=self._grace + 3 * _POOL_TIMEOUT_FLOOR)
            if not done:
                log.warning("job_worker_not_stopped")
                self._worker.cancel()
            elif not self._worker.cancelled() and (exc := self._worker.exception()) is not None:
                log.warning("job_worker_stop_failed", error=type(exc).__name__)
            self._worker = None
        await self.app.close_async()
