"""The notification process: the job worker, the reminders, waitlist offers and staff messages it sends and the
health/metrics server, until told to stop."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import structlog

from gateway.clock import Clock, system_clock
from gateway.jobs import Backoff, JobQueue
from notifications import health
from notifications.delivery import Sending
from notifications.metrics import NotificationMetrics
from notifications.reminders import Reminders
from notifications.senders import Sender, sender_from
from notifications.settings import NotificationSettings
from notifications.staff_messages import StaffMessages
from notifications.waitlist import Waitlist

log = structlog.get_logger(__name__)

# A claim outlives the post's timeout and the callback grace by this much: time to record the outcome.
_CLAIM_MARGIN_SECONDS = 1.0


class NotificationService:
    """Everything `python -m notifications` runs, built from the settings (the clock and sender injectable)."""

    def __init__(
        self, settings: NotificationSettings, *, clock: Clock = system_clock, sender: Sender | None = None
    ) -> None:
        self.settings = settings
        self.metrics = NotificationMetrics()
        self.queue = JobQueue(
            settings.database_url,
            concurrency=settings.job_concurrency,
            lease_seconds=settings.job_lease_seconds,
            recover_every_seconds=settings.job_recover_every_seconds,
            grace_seconds=settings.shutdown_grace_seconds,
            on_worker=self._on_worker,
            namespace="notifications.jobs",
            worker_name="notifications",
        )
        self.sender = sender if sender is not None else sender_from(settings)
        self._clock = clock
        self._pool: asyncpg.Pool | None = None
        self._server: asyncio.Server | None = None
        self._worker_running = False
        self.reminders: Reminders | None = None
        self.waitlist: Waitlist | None = None
        self.staff_messages: StaffMessages | None = None

    def _on_worker(self, running: bool) -> None:
        self._worker_running = running
        self.metrics.worker_up.set(1 if running else 0)

    async def start(self) -> None:
        """Open the pool, register the tasks and start the worker and the health server."""
        s = self.settings
        self._pool = await asyncpg.create_pool(s.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        retry = Backoff(
            retries=s.notifications_retries,
            first_seconds=s.notifications_retry_first_seconds,
            max_seconds=s.notifications_retry_max_seconds,
        )
        send_lease = s.whatsapp_timeout_seconds + s.whatsapp_callback_grace_seconds + _CLAIM_MARGIN_SECONDS
        sending = Sending(
            pool=self._pool,
            queue=self.queue,
            sender=self.sender,
            metrics=self.metrics,
            clock=self._clock,
            retry=retry,
            send_lease_seconds=send_lease,
            tick_seconds=s.notifications_tick_seconds,
        )
        self.reminders = Reminders(
            sending,
            hours_before=s.reminder_hours_before,
            quiet=s.quiet_hours,
            tz=s.tz,
            template=s.reminder_template_name,
            language=s.reminder_template_language,
        )
        self.waitlist = Waitlist(
            sending,
            tz=s.tz,
            hold_minutes=s.waitlist_hold_minutes,
            min_notice_minutes=s.booking_min_notice_minutes,
            template=s.waitlist_template_name,
            language=s.reminder_template_language,
        )
        self.staff_messages = StaffMessages(
            sending,
            tz=s.tz,
            reply_template=s.staff_reply_template_name,
            cancellation_template=s.staff_cancellation_template_name,
            language=s.reminder_template_language,
        )
        await self.queue.start()
        self._server = await health.serve(
            s.notifications_host,
            s.notifications_port,
            registry=self.metrics.registry,
            healthy=self._checks,
            before_metrics=self._refresh,
        )
        log.info("notifications_started", port=self.port, sender=s.notifications_sender)

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _checks(self) -> dict[str, bool]:
        database = False
        if self._pool is not None:
            try:
                async with asyncio.timeout(2):
                    database = await self._pool.fetchval("SELECT true") is True
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                database = False
        return {"database": database, "worker": self._worker_running}

    async def _refresh(self) -> None:
        if self.reminders is None:
            return
        try:
            async with asyncio.timeout(2):
                await self.reminders.measure_lag()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("notifications_lag_not_measured")

    async def aclose(self) -> None:
        """Stop taking jobs (running ones get the grace period), then close everything."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.queue.aclose()
        await self.sender.aclose()
        if self._pool is not None:
            await self._pool.close()


async def run(settings: NotificationSettings) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = NotificationService(settings)
    await service.start()
    try:
        await stop.wait()
        log.info("notifications_stopping")
    finally:
        await service.aclose()
