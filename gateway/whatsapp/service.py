"""Answering WhatsApp messages: store each once, then reply in the background through the Graph API."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
import structlog

from gateway.conversation.service import ChatService
from gateway.log import mask_phone
from gateway.resilience import Guard
from gateway.schemas import Option
from gateway.security.rate_limit import RateLimited, RateLimiter
from gateway.settings import Settings
from gateway.verification.vouching import by_whatsapp
from gateway.whatsapp import replies, repository
from gateway.whatsapp.client import GraphClient, reply_messages
from gateway.whatsapp.payloads import Inbound
from gateway.whatsapp.tasks import BackgroundTasks

log = structlog.get_logger(__name__)


class _TurnPerSender:
    """One message of a sender at a time (in this process), so replies keep the order of the messages."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: defaultdict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def of(self, sender: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(sender, asyncio.Lock())
        self._users[sender] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[sender] -= 1
            if self._users[sender] == 0:
                del self._users[sender], self._locks[sender]


class WhatsAppInbox:
    """Accepts webhook messages (deduplicated on the wamid) and answers each in the background."""

    def __init__(self, *, pool: asyncpg.Pool, graph: GraphClient, max_message_chars: int) -> None:
        self._pool = pool
        self._graph = graph
        self._max_chars = max_message_chars
        self._turns = _TurnPerSender()
        self.tasks = BackgroundTasks()

    async def accept(self, messages: Sequence[Inbound], chat: ChatService, limiter: RateLimiter) -> int:
        """Store the messages not seen before and start answering them; how many were new.

        Each patient's messages count against the same per-patient limit as `/chat`'s.
        """
        new: list[Inbound] = []
        async with self._pool.acquire() as conn:
            for message in messages:
                if await repository.record_inbound(conn, message=message):
                    new.append(message)
                else:
                    log.info("whatsapp_duplicate_ignored", wamid=message.wamid)
        by_sender: dict[str, list[Inbound]] = defaultdict(list)
        for message in new:
            by_sender[message.wa_id].append(message)
        for sender_messages in by_sender.values():
            answering = self._answer_in_order(sender_messages, chat, limiter)
            self.tasks.spawn(answering, name=f"whatsapp:{sender_messages[0].wamid}")
        return len(new)

    async def aclose(self, grace_seconds: float) -> None:
        """Let answers in flight finish (up to `grace_seconds`), then close the Graph client."""
        await self.tasks.drain(grace_seconds)
        await self._graph.aclose()

    async def _answer_in_order(self, messages: list[Inbound], chat: ChatService, limiter: RateLimiter) -> None:
        async with self._turns.of(messages[0].wa_id):
            for message in messages:
                await self._answer(message, chat, limiter)

    async def _answer(self, message: Inbound, chat: ChatService, limiter: RateLimiter) -> None:
        """Answer one message and record how it went; failures are logged and recorded, never raised."""
        structlog.contextvars.bind_contextvars(wamid=message.wamid)
        outcome: repository.Outcome
        error: str | None = None
        try:
            outcome = await self._reply(message, chat, limiter)
        except Exception as exc:  # recorded on the message's row and logged with its traceback
            log.exception("whatsapp_message_failed", phone=mask_phone(message.wa_id))
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
        try:
            async with self._pool.acquire() as conn:
                await repository.finish(conn, wamid=message.wamid, outcome=outcome, error=error)
        except Exception:  # the database may be what failed; the log still has it
            log.exception("whatsapp_outcome_not_recorded", outcome=outcome)

    async def _reply(self, message: Inbound, chat: ChatService, limiter: RateLimiter) -> repository.Outcome:
        phone = message.phone
        if phone is None:
            log.warning("whatsapp_sender_not_a_phone", message_type=message.message_type)
            return "ignored"
        if message.text is None and not message.answer:
            return "ignored"
        try:
            await limiter.check("user", phone)
        except RateLimited:
            return "limited"
        if message.text is None:
            log.info("whatsapp_message_without_text", message_type=message.message_type, phone=mask_phone(phone))
            await self._send(message, replies.ONLY_TEXT)
            return "answered"
        request_id = uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        log.info("whatsapp_message_received", phone=mask_phone(phone), message_type=message.message_type)
        try:
            answer = await chat.reply(
                user_phone=phone,
                text=message.text[: self._max_chars],
                request_id=request_id,
                vouched_by=by_whatsapp(message.phone_number_id),
                channel="whatsapp",
            )
        except Exception:
            # The inbound message is stored (or the database is down); the patient should not wait in silence.
            await self._apologise(message)
            raise
        await self._send(message, answer.response, answer.options)
        return "answered"

    async def _send(self, message: Inbound, text: str, options: Sequence[Option] = ()) -> None:
        for outbound in reply_messages(message.wa_id, text, options):
            await self._graph.send(message.phone_number_id, outbound)

    async def _apologise(self, message: Inbound) -> None:
        try:
            await self._send(message, replies.TRY_AGAIN)
        except Exception:
            log.exception("whatsapp_apology_not_sent")


def whatsapp_inbox(settings: Settings, pool: asyncpg.Pool, *, guard: Guard | None = None) -> WhatsAppInbox:
    """The inbox as the settings configure it (the webhook refuses work while the secrets are unset).

    `guard` (retries and a breaker) wraps every Graph API send.
    """
    token = settings.whatsapp_access_token
    graph = GraphClient(
        base_url=settings.whatsapp_graph_base_url,
        api_version=settings.whatsapp_api_version,
        access_token=token.get_secret_value() if token is not None else "",
        timeout=settings.whatsapp_timeout_seconds,
        guard=guard,
    )
    return WhatsAppInbox(
        pool=pool,
        graph=graph,
        max_message_chars=settings.max_message_chars,
    )
