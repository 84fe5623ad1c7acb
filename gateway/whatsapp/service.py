"""Answering WhatsApp messages exactly once: a durable inbox, a durable job per message, and an outbox.

1. **Inbox.** The webhook stores each message under its wamid (unique: Meta's retries are ignored), commits, and
   only then answers Meta 200 and queues a job (`whatsapp.answer`, gateway/jobs.py). A copy that dies after the
   commit but before queueing leaves a `received` row with no job: the recovery tick queues it.
2. **Job.** Any copy runs it; jobs of one sender carry the same procrastinate lock, so they run one at a time, in
   order, across every copy. A job lost with its copy is taken over by another after the lease (gateway/jobs.py).
   The job works out the answer once (the chat turn) and stores it in the outbox before sending anything: a retry
   finds it there and never works out a second one.
3. **Outbox.** Each Graph API message of the answer is a row keyed by the inbound wamid and its part number; it is
   posted only while `pending` and recorded `sent` the moment the Graph API accepts it. Timeouts, 429 and 5xx are
   retried with exponential backoff; after the last retry (or a refusal that no retry can change) the message is
   `failed`, counted in `whatsapp_failed_total` (alert WhatsAppRepliesFailed) and listed by GET /staff/whatsapp/failed.

The one window no code can close: the Graph API accepts a part and the copy dies (or the database goes away)
before `sent` is recorded. A retry then posts it again and the patient reads it twice. It is kept small three ways:
the pooled connection is held across the POST so recording it is the very next statement, with nothing to wait for;
each part is sent with `biz_opaque_callback_data` naming its row, so Meta's `sent` status callback, which arrives
within seconds, records it sent even when we could not; and a part whose POST's outcome is unknown (a timeout
after the request went out) stays claimed for `WHATSAPP_TIMEOUT_SECONDS + WHATSAPP_CALLBACK_GRACE_SECONDS`, so the
retry waits for that callback before posting again.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal, Protocol

import asyncpg
import structlog
from procrastinate import JobContext

from gateway.conversation.service import ChatService, whatsapp_message_key
from gateway.db import Connection
from gateway.errors import DatabaseUnavailable
from gateway.jobs import Backoff, JobQueue, RetryAt
from gateway.log import mask_phone
from gateway.metrics import GatewayMetrics
from gateway.resilience import DependencyUnavailable, Guard
from gateway.security.rate_limit import RateLimited, RateLimiter
from gateway.settings import Settings
from gateway.verification.vouching import by_whatsapp
from gateway.whatsapp import replies, repository
from gateway.whatsapp.client import GraphClient, OutboundMessage, WhatsAppSendError, reply_messages
from gateway.whatsapp.payloads import Inbound, Status

log = structlog.get_logger(__name__)

ANSWER_TASK = "whatsapp.answer"
QUEUE = "whatsapp"
# `biz_opaque_callback_data` of an outbox part: Meta echoes it in the part's status callbacks.
CALLBACK_PREFIX = "clinic-outbox:"
_DELIVERED = frozenset({"sent", "delivered", "read"})
# Why a message was given up on: whatsapp_failed_total{reason}.
FailReason = Literal["graph_refused", "graph_unavailable", "turn_failed"]
FAIL_REASONS: tuple[FailReason, ...] = ("graph_refused", "graph_unavailable", "turn_failed")


class StatusRecorder(Protocol):
    """Records Meta's `sent` status callbacks of messages another service sends through this WhatsApp app and that
    has no webhook of its own (the notification service: `notifications.callbacks`, wired in by gateway/app.py)."""

    def is_notification(self, data: str | None) -> bool:
        """Whether the callback's `biz_opaque_callback_data` names one of its messages."""

    async def record_sent(self, conn: Connection, *, data: str | None, wamid: str) -> bool:
        """Record the message `data` names sent; True when that was news."""


class _PartBusy(RetryAt):
    """Another POST of this part may still be under way (or its outcome is unknown): try after its claim ends."""


def _failure(exc: BaseException) -> tuple[FailReason, bool]:
    """Why `exc` happened, and whether a later attempt may change it.

    The Graph client (behind its breaker, gateway/outbound.py) says what a failed send means: `retry_later` (not
    delivered: unreachable, 5xx, 429, breaker open) and `maybe_delivered` (a timeout or a lost answer) are worth
    another attempt (the outbox keeps the second from being a duplicate); any other refusal (a bad token or number)
    is not.
    """
    if isinstance(exc, WhatsAppSendError):
        if exc.retry_later or exc.maybe_delivered:
            return "graph_unavailable", True
        return "graph_refused", False
    return "turn_failed", True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class WhatsAppInbox:
    """Stores webhook messages (deduplicated on the wamid), queues a job for each and runs those jobs."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        graph: GraphClient,
        queue: JobQueue,
        chat: ChatService,
        limiter: RateLimiter,
        metrics: GatewayMetrics,
        retry: Backoff,
        send_lease_seconds: float,
        lock_key: bytes,
        status_recorder: StatusRecorder,
        db_guard: Guard | None = None,
        deadline_seconds: float = 15.0,
    ) -> None:
        self._pool = pool
        self._db_guard = db_guard
        self._deadline_seconds = deadline_seconds
        self._graph = graph
        self._queue = queue
        self._chat = chat
        self._limiter = limiter
        self._metrics = metrics
        self._retry = retry
        self._send_lease = send_lease_seconds
        self._lock_key = lock_key
        self._status_recorder = status_recorder
        for reason in FAIL_REASONS:
            metrics.whatsapp_failed.labels(reason)  # exported at 0, so increase() sees the first one

        @queue.app.task(name=ANSWER_TASK, queue=QUEUE, pass_context=True, retry=retry)
        async def answer(context: JobContext, wamid: str) -> None:
            await self.run_job(wamid, attempts=context.job.attempts)

        self._answer_task = answer
        queue.on_recover(self._queue_unqueued)

    # --- the webhook side ---------------------------------------------------------------------------------------

    async def accept(self, messages: Sequence[Inbound]) -> int:
        """Store the messages not seen before and queue a job for each; how many were new.

        Once this returns the messages are committed, so Meta may be told 200: they will be answered.
        """

        async def store(seconds_left: float) -> list[Inbound]:
            stored: list[Inbound] = []
            # One transaction: a try that fails stores nothing, and the next finds nothing half-written.
            async with self._pool.acquire(timeout=seconds_left) as conn, conn.transaction():
                for message in messages:
                    if await repository.record_inbound(conn, message=message):
                        stored.append(message)
                    else:
                        log.info("whatsapp_duplicate_ignored", wamid=message.wamid)
            return stored

        if self._db_guard is None:
            new = await store(self._deadline_seconds)
        else:
            # Postgres restarting: the webhook waits within its deadline rather than answering Meta 503.
            try:
                new = await self._db_guard.call(store, deadline=time.monotonic() + self._deadline_seconds)
            except DependencyUnavailable as exc:
                raise DatabaseUnavailable() from exc
        for message in new:
            try:
                await self._defer(message.wamid, message.wa_id)
            except Exception as exc:  # stored: the recovery tick queues it
                log.warning("whatsapp_job_not_queued", wamid=message.wamid, error=type(exc).__name__)
        return len(new)

    async def record_reports(self, reports: Sequence[Status]) -> None:
        """Meta's status callbacks: a part it reports sent is recorded sent, even if its POST never told us; so is a
        reminder or offer of the notification service (through the `StatusRecorder`), which has no webhook of its
        own."""
        for report in reports:
            data = report.biz_opaque_callback_data or ""
            if report.status in _DELIVERED and self._status_recorder.is_notification(data):
                async with self._pool.acquire() as conn:
                    if await self._status_recorder.record_sent(conn, data=data, wamid=report.id):
                        log.info("notification_confirmed_by_callback", callback_data=data)
                continue
            if report.status not in _DELIVERED or not data.startswith(CALLBACK_PREFIX):
                continue
            part_id = data.removeprefix(CALLBACK_PREFIX)
            if not part_id.isdigit():
                continue
            async with self._pool.acquire() as conn:
                if await repository.confirm_part(conn, part_id=int(part_id), sent_wamid=report.id):
                    log.info("whatsapp_part_confirmed_by_callback", part_id=int(part_id))

    def _sender_lock(self, wa_id: str) -> str:
        """The procrastinate lock of a sender's jobs: keyed, so the job table never holds the phone number."""
        digest = hmac.new(self._lock_key, wa_id.encode(), hashlib.sha256).hexdigest()[:32]
        return f"whatsapp-sender:{digest}"

    async def _defer(self, wamid: str, wa_id: str) -> None:
        await self._answer_task.configure(lock=self._sender_lock(wa_id)).defer_async(wamid=wamid)

    async def _queue_unqueued(self) -> None:
        async with self._pool.acquire() as conn:
            wamids = await repository.unqueued(
                conn, task_name=ANSWER_TASK, older_than_seconds=self._queue.lease_seconds
            )
            senders = {
                r["wamid"]: r["wa_id"]
                for r in await conn.fetch("SELECT wamid, wa_id FROM whatsapp_inbound WHERE wamid = ANY($1)", wamids)
            }
        for wamid in wamids:
            await self._defer(wamid, senders[wamid])
            log.warning("whatsapp_message_requeued", wamid=wamid)

    # --- the job ------------------------------------------------------------------------------------------------

    async def run_job(self, wamid: str, *, attempts: int) -> None:
        """One run of a message's job; raises to be retried (the queue's Backoff decides when and whether)."""
        structlog.contextvars.bind_contextvars(wamid=wamid)
        try:
            await self._answer(wamid)
        except RetryAt:
            raise
        except Exception as exc:
            reason, retryable = _failure(exc)
            if retryable and not self._retry.is_last(attempts):
                log.warning("whatsapp_attempt_failed", attempt=attempts + 1, reason=reason, error=type(exc).__name__)
                raise
            await self._give_up(wamid, reason, exc)
        finally:
            structlog.contextvars.unbind_contextvars("wamid", "request_id")

    async def _answer(self, wamid: str) -> None:
        async with self._pool.acquire() as conn:
            message = await repository.start_attempt(conn, wamid=wamid)
            if message is None:
                return  # answered (or given up on) already: a retried job after its work was done
            parts = await repository.reply_parts(conn, wamid=wamid)
        if not parts:
            outcome, outbound = await self._compose(message)
            if not outbound:
                await self._finish(wamid, outcome)
                return
            async with self._pool.acquire() as conn:
                parts = await repository.store_reply(conn, wamid=wamid, messages=outbound)
        for part in parts:
            if not part.sent:
                await self._send_part(message, part)
        await self._finish(wamid, "answered")

    async def _compose(self, message: Inbound) -> tuple[repository.Outcome, list[OutboundMessage]]:
        """What to answer: the chat turn's reply, the 'only text' reply, or nothing (and why)."""
        phone = message.phone
        if phone is None:
            log.warning("whatsapp_sender_not_a_phone", message_type=message.message_type)
            return "ignored", []
        if message.text is None and not message.answer:
            return "ignored", []
        try:
            await self._limiter.check("user", phone)
        except RateLimited:
            return "limited", []
        if message.text is None:
            log.info("whatsapp_message_without_text", message_type=message.message_type, phone=mask_phone(phone))
            return "answered", reply_messages(message.wa_id, replies.ONLY_TEXT)
        request_id = uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        log.info("whatsapp_message_received", phone=mask_phone(phone), message_type=message.message_type)
        # Keyed by the wamid: a run taken over after a copy died mid-turn continues the stored turn (or gets its
        # stored reply) instead of storing the message and running the dialog a second time.
        answer = await self._chat.reply(
            user_phone=phone,
            # Whole: one over MAX_MESSAGE_CHARS is answered with a request for a shorter one, as in /chat.
            text=message.text,
            request_id=request_id,
            vouched_by=by_whatsapp(message.phone_number_id),
            channel="whatsapp",
            message_key=whatsapp_message_key(message.wamid),
        )
        return "answered", reply_messages(message.wa_id, answer.text, answer.options)

    async def _send_part(self, message: Inbound, part: repository.Part) -> None:
        # The connection is held across the POST on purpose: recording `sent` must be the very next statement,
        # with no wait for a pooled connection in between (see the module's docstring on the one open window).
        async with self._pool.acquire() as conn:
            claim, until = await repository.claim_part(conn, part_id=part.id, lease_seconds=self._send_lease)
            if claim == "sent":
                return
            if claim == "busy":
                assert until is not None
                raise _PartBusy(until + timedelta(milliseconds=100), "part claimed by an earlier POST")
            outbound = {**part.message, "biz_opaque_callback_data": f"{CALLBACK_PREFIX}{part.id}"}
            try:
                sent_wamid = await self._graph.send(message.phone_number_id, outbound)
            except WhatsAppSendError as exc:
                await repository.part_failed(
                    conn, part_id=part.id, error=_describe(exc), outcome_known=not exc.maybe_delivered
                )
                raise
            except Exception as exc:  # a breaker that refused the call: nothing went out
                await repository.part_failed(conn, part_id=part.id, error=_describe(exc), outcome_known=True)
                raise
            await repository.part_sent(conn, part_id=part.id, sent_wamid=sent_wamid)

    async def _finish(self, wamid: str, outcome: repository.Outcome, error: str | None = None) -> None:
        async with self._pool.acquire() as conn:
            await repository.finish(conn, wamid=wamid, outcome=outcome, error=error)

    async def _give_up(self, wamid: str, reason: FailReason, exc: Exception) -> None:
        """After the last attempt (or a refusal no retry changes): failed, counted, listed for staff."""
        log.error("whatsapp_message_failed", reason=reason, error=type(exc).__name__)
        if reason == "turn_failed":
            await self._apologise(wamid)
        await self._finish(wamid, "failed", _describe(exc))
        self._metrics.whatsapp_failed.labels(reason).inc()

    async def _apologise(self, wamid: str) -> None:
        """The turn kept failing: tell the patient, once (it is the stored answer), best effort."""
        try:
            async with self._pool.acquire() as conn:
                message = await repository.inbound_by_wamid(conn, wamid=wamid)
                if message is None:
                    return
                parts = await repository.reply_parts(conn, wamid=wamid)
                if not parts:
                    parts = await repository.store_reply(
                        conn, wamid=wamid, messages=reply_messages(message.wa_id, replies.TRY_AGAIN)
                    )
            for part in parts:
                if not part.sent:
                    await self._send_part(message, part)
        except Exception as exc:
            log.warning("whatsapp_apology_not_sent", error=type(exc).__name__)

    async def aclose(self) -> None:
        await self._graph.aclose()


def whatsapp_inbox(
    settings: Settings,
    pool: asyncpg.Pool,
    queue: JobQueue,
    chat: ChatService,
    limiter: RateLimiter,
    metrics: GatewayMetrics,
    *,
    status_recorder: StatusRecorder,
    guard: Guard | None = None,
    db_guard: Guard | None = None,
) -> WhatsAppInbox:
    """The inbox as the settings configure it (the webhook refuses work while the secrets are unset).

    `status_recorder` records the `sent` callbacks of the notification service's messages; `guard` (retries and a
    breaker) wraps every Graph API send.
    """
    token = settings.whatsapp_access_token
    graph = GraphClient(
        base_url=settings.whatsapp_graph_base_url,
        api_version=settings.whatsapp_api_version,
        access_token=token.get_secret_value() if token is not None else "",
        timeout=settings.whatsapp_timeout_seconds,
        guard=guard,
    )
    assert settings.otp_secret is not None  # the app refuses to start without it
    return WhatsAppInbox(
        pool=pool,
        graph=graph,
        queue=queue,
        chat=chat,
        limiter=limiter,
        metrics=metrics,
        retry=Backoff(
            retries=settings.whatsapp_retries,
            first_seconds=settings.whatsapp_retry_first_seconds,
            max_seconds=settings.whatsapp_retry_max_seconds,
        ),
        send_lease_seconds=settings.whatsapp_timeout_seconds + settings.whatsapp_callback_grace_seconds,
        lock_key=b"whatsapp-sender-lock:" + settings.otp_secret.get_secret_value().encode(),
        status_recorder=status_recorder,
        db_guard=db_guard,
        deadline_seconds=settings.request_deadline_seconds,
    )
