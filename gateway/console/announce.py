"""A conversation newly waiting for a person is announced to n8n (N8N_HANDOVER_WEBHOOK_URL), durably.

The turn that flags a conversation writes its `handovers` row with `announcement = 'pending'` in the turn's own
transaction (gateway/conversation/repository.py `flag_for_human`), and does nothing else: the patient's turn never
waits for, or fails with, n8n. The job queue's recovery tick (every JOB_RECOVER_EVERY_SECONDS, gateway/jobs.py)
queues a `handovers.announce` job for each pending row that has none, so a copy that dies anywhere loses nothing.
The job POSTs {reason, flagged_at, waiting_count, console_url}, never a name, phone or message, and records it
`sent`; failures are retried with backoff (N8N_HANDOVER_RETRIES), then the row is `failed` and logged.

A job retried after the POST was accepted but before `sent` was recorded posts it again: n8n may see an
announcement twice, never zero times.
"""

from __future__ import annotations

from typing import Any, Final

import asyncpg
import httpx
import structlog
from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued

from gateway.console import inbox
from gateway.jobs import Backoff, JobQueue
from gateway.metrics import GatewayMetrics
from gateway.settings import Settings

log = structlog.get_logger(__name__)

ANNOUNCE_TASK: Final = "handovers.announce"
QUEUE: Final = "handovers"
CONSOLE_PATH: Final = "/console/conversaciones/"


class AnnouncementRefused(Exception):
    """n8n answered with a status other than 2xx."""


class HandoverAnnouncer:
    """Registers the announcement job on `queue` and queues it, from the recovery tick, for every pending row."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        queue: JobQueue,
        webhook_url: str | None,
        token: str | None,
        console_base_url: str | None,
        retry: Backoff,
        timeout_seconds: float,
        metrics: GatewayMetrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._pool = pool
        self._outcomes = metrics.handover_announcements
        for outcome in ("sent", "retried", "failed"):
            self._outcomes.labels(outcome)  # exported at 0, so the alert's increase() sees the first failure
        self._queue = queue
        self._url = webhook_url
        self._console = (console_base_url or "").rstrip("/")
        self._retry = retry
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(timeout=timeout_seconds, headers=headers, transport=transport)

        @queue.app.task(name=ANNOUNCE_TASK, queue=QUEUE, pass_context=True, retry=retry)
        async def announce(context: JobContext, handover_id: int) -> None:
            await self.run_job(handover_id, attempts=context.job.attempts)

        self._task = announce
        queue.on_recover(self.queue_pending)

    def console_url(self, conversation_id: object) -> str:
        return f"{self._console}{CONSOLE_PATH}{conversation_id}"

    async def queue_pending(self) -> None:
        """Queue a job for each pending announcement that has none waiting or running."""
        async with self._pool.acquire() as conn:
            ids = await conn.fetch(
                """
                SELECT h.id FROM handovers h
                WHERE h.announcement = 'pending' AND NOT EXISTS (
                    SELECT FROM procrastinate_jobs j
                    WHERE j.task_name = $1 AND j.status IN ('todo', 'doing')
                      AND j.args ->> 'handover_id' = h.id::text
                )
                ORDER BY h.flagged_at LIMIT 100
                """,
                ANNOUNCE_TASK,
            )
        for row in ids:
            try:
                await self._task.configure(queueing_lock=f"handover:{row['id']}").defer_async(handover_id=row["id"])
            except AlreadyEnqueued:
                continue

    async def run_job(self, handover_id: int, *, attempts: int) -> None:
        """Post one announcement; raises to be retried, records `failed` after the last attempt."""
        try:
            await self._announce(handover_id)
        except Exception as exc:
            if not self._retry.is_last(attempts):
                self._outcomes.labels("retried").inc()
                log.warning("handover_announcement_retried", handover_id=handover_id, error=type(exc).__name__)
                raise
            self._outcomes.labels("failed").inc()  # alert HandoverAnnouncementsFailed
            log.error("handover_announcement_failed", handover_id=handover_id, error=type(exc).__name__)
            async with self._pool.acquire() as conn:
                await conn.execute(
                    "UPDATE handovers SET announcement = 'failed' WHERE id = $1 AND announcement = 'pending'",
                    handover_id,
                )

    async def _announce(self, handover_id: int) -> None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT conversation_id, reason, flagged_at, announcement FROM handovers WHERE id = $1", handover_id
            )
            if row is None or row["announcement"] != "pending":
                return  # announced (or given up on) already: a job retried after its work was done
            count = await inbox.waiting_count(conn)
        if self._url is None:
            return  # the webhook was unset since the flag: it stays pending until one is configured
        body: dict[str, Any] = {
            "reason": row["reason"],
            "flagged_at": row["flagged_at"].isoformat(),
            "waiting_count": count,
            "console_url": self.console_url(row["conversation_id"]),
        }
        response = await self._http.post(self._url, json=body)
        if not response.is_success:
            raise AnnouncementRefused(f"n8n answered {response.status_code}")
        async with self._pool.acquire() as conn:
            await conn.execute(
                """
                UPDATE handovers SET announcement = 'sent', announced_at = now()
                WHERE id = $1 AND announcement = 'pending'
                """,
                handover_id,
            )
        self._outcomes.labels("sent").inc()
        log.info("handover_announced", handover_id=handover_id, reason=row["reason"])

    async def aclose(self) -> None:
        await self._http.aclose()


def handover_announcer(
    settings: Settings, pool: asyncpg.Pool, queue: JobQueue, metrics: GatewayMetrics
) -> HandoverAnnouncer:
    """The announcer as the settings configure it."""
    token = settings.n8n_handover_token
    return HandoverAnnouncer(
        pool=pool,
        queue=queue,
        webhook_url=settings.n8n_handover_webhook_url,
        token=token.get_secret_value() if token is not None else None,
        console_base_url=settings.console_base_url,
        retry=Backoff(retries=settings.n8n_handover_retries, first_seconds=2.0, max_seconds=300.0),
        timeout_seconds=settings.n8n_handover_timeout_seconds,
        metrics=metrics,
    )
