"""Reminders sent exactly once, across any number of worker copies and restarts.

- **Tick.** A periodic job (deferred once per tick by whichever copy gets there first) plans the reminders of
  booked appointments (`planning.plan`; rows keyed by appointment, hours and start, so planning twice inserts
  nothing), drops pending ones whose appointment was cancelled or moved (the move gets new rows for its new
  start), and queues one `notifications.send` job per due reminder, its queueing lock named by the reminder.
- **Send.** The job locks the row, checks again that the appointment is still booked at that start, that the
  patient (or their family holder) consented and that the time is still right (`planning.at_send_time`), and
  claims the row for one post, all in one transaction. Only one copy can hold the claim. It posts with the pooled
  connection held and records `sent` in the very next statement.
- **Failures.** A post that fails is retried with exponential backoff (the row's attempts count, whichever job
  runs it); after the last retry, or a refusal no retry changes, the reminder is `failed`. A copy that dies
  mid-post leaves its claim to lapse; the next tick queues the reminder again.

A post whose outcome is unknown (the copy died before recording it, or the answer timed out after WhatsApp took the
message) stays claimed for the post's timeout plus `WHATSAPP_CALLBACK_GRACE_SECONDS`. Each reminder goes out with
`biz_opaque_callback_data` naming its row, and Meta's `sent` status callback, which the gateway's webhook receives
within seconds, records it sent (`notifications.callbacks`): the copy that looks again after the claim finds it sent
and posts nothing. Only when that callback does not come within the grace is the reminder posted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from procrastinate.exceptions import AlreadyEnqueued

from appointments.repository.connection import Connection
from gateway.clock import Clock
from gateway.jobs import Backoff, JobQueue, RetryAt
from notifications import callbacks, planning, repository
from notifications.metrics import NotificationMetrics
from notifications.planning import QuietHours
from notifications.senders import Sender, SendError
from notifications.template import ReminderFacts, reminder_message

log = structlog.get_logger(__name__)

SEND_TASK = "notifications.send"
TICK_TASK = "notifications.tick"
QUEUE = "notifications"
KIND = "reminder"
# Reminders queued per tick; the rest go on the next one.
_BATCH = 500
# Appointments are planned this long before their earliest reminder, so staff see the rows ahead.
_PLAN_AHEAD = timedelta(days=1)


class _Busy(RetryAt):
    """Another copy is posting this reminder: look again when its claim ends."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class Reminders:
    """Plans, queues and sends appointment reminders through `sender`."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        queue: JobQueue,
        sender: Sender,
        metrics: NotificationMetrics,
        clock: Clock,
        hours_before: Sequence[int],
        quiet: QuietHours | None,
        tz: ZoneInfo,
        template: str,
        language: str,
        retry: Backoff,
        send_lease_seconds: float,
        tick_seconds: int,
    ) -> None:
        self._pool = pool
        self._queue = queue
        self._sender = sender
        self._metrics = metrics
        self._clock = clock
        self._hours = tuple(sorted(set(hours_before), reverse=True))
        self._quiet = quiet
        self._tz = tz
        self._template = template
        self._language = language
        self._retry = retry
        self._send_lease = send_lease_seconds

        @queue.app.task(name=SEND_TASK, queue=QUEUE, retry=retry)
        async def send(reminder_id: int) -> None:
            await self.send(reminder_id)

        @queue.app.periodic(cron=f"* * * * * */{tick_seconds}", periodic_id="tick")
        @queue.app.task(name=TICK_TASK, queue=QUEUE, queueing_lock=TICK_TASK)
        async def tick(timestamp: int) -> None:
            await self.tick()

        self._send_task = send

    # --- the tick -------------------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """Plan, drop and queue; how many reminders were queued."""
        now = self._clock()
        await self.plan(now)
        await self.drop(now)
        return await self.queue_due(now)

    async def plan(self, now: datetime) -> int:
        until = now + timedelta(hours=max(self._hours)) + _PLAN_AHEAD
        planned = 0
        async with self._pool.acquire() as conn:
            for candidate in await repository.unplanned(conn, now=now, until=until, hours=self._hours):
                plans = planning.plan(
                    starts_at=candidate.starts_at,
                    booked_at=candidate.booked_at,
                    hours_before=self._hours,
                    quiet=self._quiet,
                    tz=self._tz,
                )
                new = await repository.insert_planned(
                    conn, appointment_id=candidate.appointment_id, planned_start=candidate.starts_at, plans=plans
                )
                planned += new
                skipped = sum(1 for p in plans if p.skipped is not None)
                if new and skipped:
                    self._metrics.sent.labels(KIND, "skipped").inc(skipped)
        return planned

    async def drop(self, now: datetime) -> None:
        async with self._pool.acquire() as conn:
            reasons = await repository.drop_stale(conn, now=now)
        for reason in reasons:
            self._metrics.sent.labels(KIND, "dropped").inc()
            log.info("reminder_dropped", reason=reason)

    async def queue_due(self, now: datetime) -> int:
        async with self._pool.acquire() as conn:
            ids = await repository.due(conn, now=now, limit=_BATCH)
        await self.measure_lag()
        queued = 0
        for reminder_id in ids:
            try:
                await self._send_task.configure(queueing_lock=f"reminder:{reminder_id}").defer_async(
                    reminder_id=reminder_id
                )
                queued += 1
            except AlreadyEnqueued:
                pass  # its job waits already
        return queued

    async def measure_lag(self) -> None:
        """Set the queue-lag gauge: how long the longest-waiting due reminder has waited (0: none waits)."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            oldest = await repository.oldest_due_at(conn, now=now)
        self._metrics.queue_lag.set(0 if oldest is None else max(0.0, (now - oldest).total_seconds()))

    # --- the job --------------------------------------------------------------------------------------------------

    async def send(self, reminder_id: int) -> None:
        """Send one reminder if it is still due and still meant; raises RetryAt to be run again later."""
        structlog.contextvars.bind_contextvars(reminder_id=reminder_id)
        try:
            await self._send(reminder_id)
        finally:
            structlog.contextvars.unbind_contextvars("reminder_id")

    async def _send(self, reminder_id: int) -> None:
        now = self._clock()
        # Held across the post on purpose: recording `sent` is the very next statement (see the module docstring).
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                row = await repository.lock(conn, reminder_id=reminder_id)
                if row is None or row.status != "pending":
                    return  # sent or ended already: a job queued twice, or run again after its work was done
                if row.busy:
                    assert row.claimed_until is not None
                    raise _Busy(row.claimed_until + timedelta(milliseconds=100), "claimed by another post")
                if not await self._still_meant(conn, row, now):
                    return
                attempt = await repository.claim(conn, reminder_id=reminder_id, lease_seconds=self._send_lease)
            message = reminder_message(
                ReminderFacts(
                    appointment_id=row.appointment_id,
                    phone=row.phone or "",
                    full_name=row.full_name,
                    doctor_name=row.doctor_name,
                    specialty_name=row.specialty_name,
                    starts_at=row.starts_at,
                    holder_name=row.holder_name,
                ),
                template=self._template,
                language=self._language,
                tz=self._tz,
                callback_data=callbacks.callback_data(reminder_id),
            )
            try:
                wamid = await self._sender.send(message)
            except SendError as exc:
                await self._failed(conn, reminder_id, attempt, exc)
                return
            await repository.record_sent(conn, reminder_id=reminder_id, wamid=wamid, now=self._clock())
        self._metrics.sent.labels(KIND, "sent").inc()
        log.info("reminder_sent", hours_before=row.hours_before, attempt=attempt)

    async def _still_meant(self, conn: Connection, row: repository.Locked, now: datetime) -> bool:
        """Ends (or postpones) a reminder that must not go now; True when it may be sent."""
        reason: str | None = None
        status: repository.Final = "skipped"
        if row.appointment_status != "booked" or row.starts_at != row.planned_start:
            status, reason = "dropped", "cancelled" if row.appointment_status != "booked" else "moved"
        elif row.consent is not True:
            reason = "no_consent"
        elif row.phone is None:
            reason = "no_phone"
        else:
            decision = planning.at_send_time(
                now=now,
                starts_at=row.starts_at,
                hours_before=row.hours_before,
                all_hours=self._hours,
                quiet=self._quiet,
                tz=self._tz,
            )
            if decision.wait_until is not None:
                await repository.postpone(conn, reminder_id=row.id, due_at=decision.wait_until, now=now)
                return False
            if not decision.send:
                reason = decision.skipped
        if reason is None:
            return True
        await repository.finish(conn, reminder_id=row.id, status=status, reason=reason, now=now)
        self._metrics.sent.labels(KIND, status).inc()
        log.info("reminder_not_sent", status=status, reason=reason)
        return False

    async def _failed(self, conn: Connection, reminder_id: int, attempt: int, exc: SendError) -> None:
        """Retry after a backoff (nothing else posts it meanwhile), or give up: `failed`, counted, kept for staff."""
        if exc.retryable and not self._retry.is_last(attempt - 1):
            wait = min(self._retry.max_seconds, self._retry.first_seconds * 2 ** (attempt - 1))
            # A post whose answer was lost may have reached the patient: the wait is at least the claim's lease.
            hold = max(wait, self._send_lease) if exc.maybe_delivered else wait
            await repository.record_failed_attempt(
                conn, reminder_id=reminder_id, error=_describe(exc), hold_seconds=hold, now=self._clock()
            )
            self._metrics.sent.labels(KIND, "retried").inc()
            log.warning("reminder_attempt_failed", attempt=attempt, error=type(exc).__name__)
            raise RetryAt(datetime.now(UTC) + timedelta(seconds=hold), "send failed")
        reason = "send_refused" if not exc.retryable else "send_failed"
        await repository.finish(
            conn, reminder_id=reminder_id, status="failed", reason=reason, now=self._clock(), error=_describe(exc)
        )
        self._metrics.sent.labels(KIND, "failed").inc()
        log.error("reminder_failed", attempt=attempt, reason=reason, error=type(exc).__name__)
