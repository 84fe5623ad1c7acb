"""Waitlist offers: a cancelled appointment's slot offered to the next patient in line, one at a time, exactly once.

- **Tick.** A periodic job ends entries whose days have passed, expires offers whose hold ran out unanswered, then
  offers each freed slot nobody holds to its next patient in line (`waitlist_repository`), and queues one
  `notifications.waitlist_send` job per offer not sent yet, its queueing lock named by the offer. The partial unique
  indexes of migration 0022 refuse a second offer of one slot, or a second offer to one entry, whatever races.
- **Send.** As a reminder: the job locks the offer, checks it still stands (the slot is still free and ahead, the
  patient still consents), claims it for one post and records it sent right after; the hold counts from then. It
  goes with `biz_opaque_callback_data` naming the offer, so Meta's `sent` callback records a post whose answer was
  lost (`notifications.callbacks`) and no copy posts it again.
- **Answers** come through the gateway's dialog ("sí" books the slot, "no" declines it); a declined, expired or
  withdrawn offer leaves the slot free for the next tick to offer to the next in line.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from procrastinate.exceptions import AlreadyEnqueued

from appointments.repository.connection import Connection
from gateway.clock import Clock
from gateway.jobs import Backoff, JobQueue, RetryAt
from notifications import callbacks
from notifications import waitlist_repository as repository
from notifications.metrics import NotificationMetrics
from notifications.senders import Sender, SendError
from notifications.template import OfferFacts, offer_message

log = structlog.get_logger(__name__)

SEND_TASK = "notifications.waitlist_send"
TICK_TASK = "notifications.waitlist_tick"
QUEUE = "notifications"
KIND = "waitlist_offer"
# Freed slots looked at per tick; the rest on the next one.
_BATCH = 200


class _Busy(RetryAt):
    """Another copy is posting this offer: look again when its claim ends."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class Waitlist:
    """Offers freed slots to waiting patients through `sender`."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        queue: JobQueue,
        sender: Sender,
        metrics: NotificationMetrics,
        clock: Clock,
        tz: ZoneInfo,
        hold_minutes: int,
        min_notice_minutes: int,
        template: str,
        language: str,
        retry: Backoff,
        send_lease_seconds: float,
        tick_seconds: int,
    ) -> None:
        self._pool = pool
        self._sender = sender
        self._metrics = metrics
        self._clock = clock
        self._tz = tz
        self._hold = timedelta(minutes=hold_minutes)
        self._min_notice = timedelta(minutes=min_notice_minutes)
        self._template = template
        self._language = language
        self._retry = retry
        self._send_lease = send_lease_seconds

        @queue.app.task(name=SEND_TASK, queue=QUEUE, retry=retry)
        async def send(offer_id: int) -> None:
            await self.send(offer_id)

        @queue.app.periodic(cron=f"* * * * * */{tick_seconds}", periodic_id="waitlist_tick")
        @queue.app.task(name=TICK_TASK, queue=QUEUE, queueing_lock=TICK_TASK)
        async def tick(timestamp: int) -> None:
            await self.tick()

        self._send_task = send

    # --- the tick -------------------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """End, expire, offer and queue; how many offers were queued for sending."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            await repository.end_past_entries(conn, today=now.astimezone(self._tz).date())
            expired = await repository.expire_holds(conn, now=now)
            if expired:
                self._metrics.sent.labels(KIND, "expired").inc(expired)
            # Only slots a "sí" at the end of the hold can still book.
            earliest = now + self._hold + self._min_notice
            for slot in await repository.freed_slots(conn, after=earliest, limit=_BATCH):
                offer_id = await repository.offer_next(
                    conn, slot=slot, tz_name=self._tz.key, now=now, hold_until=now + self._hold
                )
                if offer_id is not None:
                    log.info("waitlist_offer_made", offer_id=offer_id)
            ids = await repository.unsent(conn, limit=_BATCH)
        for offer_id in ids:
            with contextlib.suppress(AlreadyEnqueued):  # its job waits already
                await self._send_task.configure(queueing_lock=f"waitlist_offer:{offer_id}").defer_async(
                    offer_id=offer_id
                )
        return len(ids)

    # --- the job --------------------------------------------------------------------------------------------------

    async def send(self, offer_id: int) -> None:
        """Send one offer if it still stands; raises RetryAt to be run again later."""
        structlog.contextvars.bind_contextvars(offer_id=offer_id)
        try:
            await self._send(offer_id)
        finally:
            structlog.contextvars.unbind_contextvars("offer_id")

    async def _send(self, offer_id: int) -> None:
        now = self._clock()
        # Held across the post on purpose: recording `sent` is the very next statement (as for reminders).
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                row = await repository.lock(conn, offer_id=offer_id)
                if row is None or row.status != "offered" or row.sent:
                    return  # answered, ended or sent already
                if row.busy:
                    assert row.claimed_until is not None
                    raise _Busy(row.claimed_until + timedelta(milliseconds=100), "claimed by another post")
                reason = self._why_not(row, now + self._min_notice)
                if reason is not None:
                    await repository.withdraw(conn, offer_id=offer_id, reason=reason, now=now)
                    self._metrics.sent.labels(KIND, "withdrawn").inc()
                    log.info("waitlist_offer_withdrawn", reason=reason)
                    return
                attempt = await repository.claim(conn, offer_id=offer_id, lease_seconds=self._send_lease)
            assert row.phone is not None
            message = offer_message(
                OfferFacts(
                    offer_id=offer_id,
                    phone=row.phone,
                    full_name=row.full_name,
                    doctor_name=row.doctor_name,
                    specialty_name=row.specialty_name,
                    starts_at=row.starts_at,
                    hold_minutes=int(self._hold.total_seconds() // 60),
                    holder_name=row.holder_name,
                ),
                template=self._template,
                language=self._language,
                tz=self._tz,
                callback_data=callbacks.offer_callback_data(offer_id),
            )
            try:
                wamid = await self._sender.send(message)
            except SendError as exc:
                await self._failed(conn, offer_id, attempt, exc)
                return
            sent_at = self._clock()
            await repository.record_sent(
                conn, offer_id=offer_id, wamid=wamid, now=sent_at, hold_until=sent_at + self._hold
            )
        self._metrics.sent.labels(KIND, "sent").inc()
        log.info("waitlist_offer_sent", attempt=attempt)

    @staticmethod
    def _why_not(row: repository.LockedOffer, bookable_from: datetime) -> str | None:
        """Why the offer can no longer be sent; None when it can (`bookable_from`: the earliest bookable start)."""
        if row.slot_taken:
            return "slot_taken"
        if row.starts_at <= bookable_from:
            return "slot_passed"
        if row.consent is not True:
            return "no_consent"
        if row.phone is None:
            return "no_phone"
        return None

    async def _failed(self, conn: Connection, offer_id: int, attempt: int, exc: SendError) -> None:
        """Retry after a backoff, or give up: the offer is withdrawn and the slot passes to the next in line."""
        if exc.retryable and not self._retry.is_last(attempt - 1):
            wait = min(self._retry.max_seconds, self._retry.first_seconds * 2 ** (attempt - 1))
            hold = max(wait, self._send_lease) if exc.maybe_delivered else wait
            await repository.record_failed_attempt(
                conn, offer_id=offer_id, error=_describe(exc), hold_seconds=hold, now=self._clock()
            )
            self._metrics.sent.labels(KIND, "retried").inc()
            log.warning("waitlist_offer_attempt_failed", attempt=attempt, error=type(exc).__name__)
            raise RetryAt(datetime.now(UTC) + timedelta(seconds=hold), "send failed")
        reason = "send_refused" if not exc.retryable else "send_failed"
        await repository.withdraw(conn, offer_id=offer_id, reason=reason, now=self._clock(), error=_describe(exc))
        self._metrics.sent.labels(KIND, "failed").inc()
        log.error("waitlist_offer_failed", attempt=attempt, reason=reason, error=type(exc).__name__)
