"""One notification posted exactly once, across any number of worker copies and restarts: the send that reminders
and waitlist offers share, each kind supplying its own parts (`Kind`).

- **Claim.** The job locks the row and returns if it was sent or ended already (a job queued twice, or run again
  after its work was done), looks again later if another copy holds its claim, asks the kind whether it is still
  meant (if not, the kind ends it, counted and logged, or puts it off) and claims it for one post with a lease,
  counting the attempt: all in one transaction. Only one copy can hold the claim.
- **Post.** It posts through the `Sender` with the pooled connection held on purpose and records `sent` in the very
  next statement, with no wait for a connection in between.
- **Failures.** A post that fails is retried with exponential backoff (the row's attempts count, whichever job runs
  it), nothing else posting it meanwhile; after the last retry, or a refusal no retry changes, the kind gives it up
  (a reminder `failed`, an offer `withdrawn`), counted and logged. A copy that dies mid-post leaves its claim to
  lapse; the kind's next tick queues the row again.

A post whose outcome is unknown (the copy died before recording it, or the answer timed out after WhatsApp took the
message) stays claimed for the post's timeout plus `WHATSAPP_CALLBACK_GRACE_SECONDS` (the lease), and a retry after
such a post waits at least as long. Each row goes out with `biz_opaque_callback_data` naming it, and Meta's `sent`
status callback, which the gateway's webhook receives within seconds, records it sent (`notifications.callbacks`):
the copy that looks again after the claim finds it sent and posts nothing. Only when that callback does not come
within the grace is the row posted again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, Protocol, TypeVar

import asyncpg
import structlog
from procrastinate.exceptions import AlreadyEnqueued

from appointments.repository.connection import Connection
from gateway.clock import Clock
from gateway.jobs import Backoff, JobQueue, RetryAt
from notifications.metrics import NotificationMetrics
from notifications.senders import Sender, SendError

log = structlog.get_logger(__name__)

# The job queue every notification's jobs run on.
QUEUE = "notifications"


@dataclass(frozen=True)
class Sending:
    """What every kind of notification is queued, sent, retried and counted with (the service builds one)."""

    pool: asyncpg.Pool
    queue: JobQueue
    sender: Sender
    metrics: NotificationMetrics
    clock: Clock
    retry: Backoff
    # How long a claim keeps other copies from posting a row: the post's timeout plus the callback grace.
    send_lease_seconds: float
    tick_seconds: int

    def every_tick(self, name: str, periodic_id: str, run: Callable[[], Awaitable[object]]) -> None:
        """Register `run` as the job `name`, deferred once a tick by whichever copy gets there first."""

        @self.queue.app.periodic(cron=f"* * * * * */{self.tick_seconds}", periodic_id=periodic_id)
        @self.queue.app.task(name=name, queue=QUEUE, queueing_lock=name)
        async def tick(timestamp: int) -> None:
            await run()


class Claimable(Protocol):
    """What the send reads of any locked row: whether another copy's claim on it still runs, and until when."""

    @property
    def busy(self) -> bool: ...

    @property
    def claimed_until(self) -> datetime | None: ...


RowT = TypeVar("RowT", bound=Claimable)


@dataclass(frozen=True)
class Names:
    """A kind's label in `notifications_sent_total{kind}` (and in its jobs' queueing locks, `{kind}:{id}`), its id's
    key in the send job's arguments and the log context, and its log event when it ends unsent. Its other log events
    are `{kind}_sent`, `{kind}_attempt_failed` and `{kind}_failed`."""

    kind: str
    id_key: str
    not_sent: str

    @property
    def sent(self) -> str:
        return f"{self.kind}_sent"

    @property
    def attempt_failed(self) -> str:
        return f"{self.kind}_attempt_failed"

    @property
    def failed(self) -> str:
        return f"{self.kind}_failed"


# How a row ends unsent, its `notifications_sent_total{outcome}`: a reminder skipped or dropped, an offer withdrawn,
# or either given up on after its posts failed.
Ended = Literal["skipped", "dropped", "withdrawn", "failed"]


@dataclass(frozen=True)
class End:
    """The row must not go: end it, counted as `outcome`, for `reason`."""

    outcome: Ended
    reason: str


class Send:
    """The row may go now."""


class Postponed:
    """The kind moved the row to a later time itself: nothing ends and nothing is counted."""


SEND = Send()
POSTPONED = Postponed()
Verdict = Send | Postponed | End


class Kind(Protocol[RowT]):
    """What one kind of notification supplies: its rows' SQL, whether a row is still meant, its message."""

    @property
    def names(self) -> Names: ...

    async def lock(self, conn: Connection, row_id: int) -> RowT | None:
        """The row, locked until the transaction ends; None when there is none or it was sent or has ended."""

    async def verdict(self, conn: Connection, row: RowT, now: datetime) -> Verdict:
        """Whether the row may go now (`now`: the job's start by the service's clock)."""

    async def claim(self, conn: Connection, row_id: int, lease_seconds: float) -> int:
        """Claim the locked row for one post until the lease ends; its attempt number."""

    def message(self, row: RowT) -> dict[str, Any]:
        """The Graph API request body, with `biz_opaque_callback_data` naming the row."""

    async def record_sent(self, conn: Connection, row_id: int, wamid: str | None, now: datetime) -> None: ...

    async def retry_later(self, conn: Connection, row_id: int, seconds: float, error: str, now: datetime) -> None:
        """A post failed with `error`: no copy posts the row again for `seconds`."""

    async def end(self, conn: Connection, row_id: int, how: End, now: datetime, error: str | None = None) -> None:
        """End the row unsent: as its verdict says, or given up on (outcome "failed") after `error`."""

    def sent_facts(self, row: RowT) -> Mapping[str, object]:
        """What the `sent` log event says of the row besides the attempt (no personal data)."""


class _Busy(RetryAt):
    """Another copy is posting this row: look again when its claim ends."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class Delivery(Generic[RowT]):
    """Queues and sends rows of one `Kind`, exactly once (see the module docstring), as the job `task`."""

    def __init__(self, kind: Kind[RowT], sending: Sending, *, task: str) -> None:
        self._kind = kind
        self._names = kind.names
        self._pool = sending.pool
        self._sender = sending.sender
        self._metrics = sending.metrics
        self._clock = sending.clock
        self._retry = sending.retry
        self._send_lease = sending.send_lease_seconds

        @sending.queue.app.task(name=task, queue=QUEUE, retry=sending.retry)
        async def send(**row: int) -> None:
            await self.send(row[self._names.id_key])

        self._task = send

    async def defer(self, row_id: int) -> bool:
        """Queue the row's send job; False when its job waits already."""
        try:
            await self._task.configure(queueing_lock=f"{self._names.kind}:{row_id}").defer_async(
                **{self._names.id_key: row_id}
            )
        except AlreadyEnqueued:
            return False
        return True

    async def send(self, row_id: int) -> None:
        """Send one row if it is still due and still meant; raises RetryAt to be run again later."""
        structlog.contextvars.bind_contextvars(**{self._names.id_key: row_id})
        try:
            await self._send(row_id)
        finally:
            structlog.contextvars.unbind_contextvars(self._names.id_key)

    def _count(self, outcome: Ended | Literal["sent", "retried"]) -> None:
        self._metrics.sent.labels(self._names.kind, outcome).inc()

    async def _send(self, row_id: int) -> None:
        kind, now = self._kind, self._clock()
        # Held across the post on purpose: recording `sent` is the very next statement (see the module docstring).
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                row = await kind.lock(conn, row_id)
                if row is None:
                    return  # sent or ended already: a job queued twice, or run again after its work was done
                if row.busy:
                    assert row.claimed_until is not None
                    raise _Busy(row.claimed_until + timedelta(milliseconds=100), "claimed by another post")
                verdict = await kind.verdict(conn, row, now)
                if isinstance(verdict, End):
                    await kind.end(conn, row_id, verdict, now)
                    self._count(verdict.outcome)
                    log.info(self._names.not_sent, status=verdict.outcome, reason=verdict.reason)
                    return
                if isinstance(verdict, Postponed):
                    return
                attempt = await kind.claim(conn, row_id, self._send_lease)
            message = kind.message(row)
            try:
                wamid = await self._sender.send(message)
            except SendError as exc:
                await self._failed(conn, row_id, attempt, exc)
                return
            await kind.record_sent(conn, row_id, wamid, self._clock())
        self._count("sent")
        log.info(self._names.sent, **kind.sent_facts(row), attempt=attempt)

    async def _failed(self, conn: Connection, row_id: int, attempt: int, exc: SendError) -> None:
        """Retry after a backoff (nothing else posts it meanwhile), or give up: ended by the kind, counted."""
        if exc.retryable and not self._retry.is_last(attempt - 1):
            wait = min(self._retry.max_seconds, self._retry.first_seconds * 2 ** (attempt - 1))
            # A post whose answer was lost may have reached the patient: the wait is at least the claim's lease.
            hold = max(wait, self._send_lease) if exc.maybe_delivered else wait
            await self._kind.retry_later(conn, row_id, hold, _describe(exc), self._clock())
            self._count("retried")
            log.warning(self._names.attempt_failed, attempt=attempt, error=type(exc).__name__)
            raise RetryAt(datetime.now(UTC) + timedelta(seconds=hold), "send failed")
        reason = "send_refused" if not exc.retryable else "send_failed"
        await self._kind.end(conn, row_id, End("failed", reason), self._clock(), _describe(exc))
        self._count("failed")
        log.error(self._names.failed, attempt=attempt, reason=reason, error=type(exc).__name__)
