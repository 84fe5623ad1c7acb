"""A turn's database side: its pooled connections, taken up again when one breaks, and the replies it stores."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

from appointments.repository.connection import IsolationLevel
from gateway.conversation import repository
from gateway.conversation.reply import Action
from gateway.db import Connection
from gateway.errors import DATABASE_DOWN, DatabaseUnavailable
from gateway.resilience import DependencyUnavailable, Guard

log = structlog.get_logger(__name__)
T = TypeVar("T")


class TurnConnections:
    """Pooled connections for the parts of a turn, behind the Postgres breaker.

    `retry_attempts` tries of a step at most, `retry_backoff` seconds apart at first, doubling.
    """

    def __init__(self, pool: asyncpg.Pool, *, guard: Guard, retry_attempts: int, retry_backoff: float) -> None:
        self._pool = pool
        self._guard = guard
        self._attempts = retry_attempts
        self._backoff = retry_backoff

    @asynccontextmanager
    async def connection(self, deadline: float) -> AsyncIterator[PoolConnectionProxy]:
        """A pooled connection for one part of a turn."""

        async def connect(seconds_left: float) -> PoolConnectionProxy:
            conn: PoolConnectionProxy = await self._pool.acquire(timeout=seconds_left)
            return conn

        try:
            conn = await self._guard.call(connect, deadline=deadline)
        except DependencyUnavailable as exc:
            raise DatabaseUnavailable() from exc
        try:
            yield conn
        except DATABASE_DOWN:
            # The session is gone; asyncpg may not know yet. Never let it be reused.
            conn.terminate()
            raise
        finally:
            await self._pool.release(conn)

    async def retrying(self, step: Callable[[], Awaitable[T]], deadline: float) -> T:
        """`step()`, taken up again from the start when its connection breaks, with backoff, within `deadline`;
        past it (or after `retry_attempts`), DatabaseUnavailable."""
        attempt = 1
        while True:
            try:
                return await step()
            except DATABASE_DOWN as exc:
                left = deadline - time.monotonic()
                pause = self._backoff * 2 ** (attempt - 1)
                if attempt >= self._attempts or left <= pause:
                    log.warning("turn_connection_lost", attempt=attempt, error=type(exc).__name__, retried=False)
                    raise DatabaseUnavailable() from exc
                log.warning("turn_connection_lost", attempt=attempt, error=type(exc).__name__, retried=True)
            await asyncio.sleep(pause)
            attempt += 1


class LazyTransaction:
    """A connection whose transaction begins at its first statement, and commits (or rolls back) as the block ends.

    A turn whose dialog reads and writes nothing (a greeting, a thank-you) then sends neither BEGIN nor COMMIT:
    its one closing statement, sent on the wrapped connection itself, runs inside the transaction when one began
    and alone otherwise (a single statement is atomic by itself). `transaction()` inside it is a savepoint, as on
    asyncpg's connection.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._open: AbstractAsyncContextManager[object] | None = None

    @property
    def began(self) -> bool:
        return self._open is not None

    async def _begun(self) -> Connection:
        if self._open is None:
            transaction = self._conn.transaction()
            await transaction.__aenter__()
            self._open = transaction
        return self._conn

    async def __aenter__(self) -> LazyTransaction:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        transaction, self._open = self._open, None
        if transaction is not None:
            await transaction.__aexit__(kind, error, traceback)

    async def execute(self, query: str, *args: object, timeout: float | None = None) -> str:  # noqa: ASYNC109
        return await (await self._begun()).execute(query, *args, timeout=timeout)

    async def executemany(
        self,
        command: str,
        args: Iterable[Sequence[object]],
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        await (await self._begun()).executemany(command, args, timeout=timeout)

    async def fetch(
        self,
        query: str,
        *args: object,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[asyncpg.Record]:
        return await (await self._begun()).fetch(query, *args, timeout=timeout)

    async def fetchrow(
        self,
        query: str,
        *args: object,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> asyncpg.Record | None:
        return await (await self._begun()).fetchrow(query, *args, timeout=timeout)

    async def fetchval(
        self,
        query: str,
        *args: object,
        column: int = 0,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Any:
        return await (await self._begun()).fetchval(query, *args, column=column, timeout=timeout)

    @asynccontextmanager
    async def transaction(
        self, *, isolation: IsolationLevel | None = None, readonly: bool = False, deferrable: bool = False
    ) -> AsyncIterator[object]:
        conn = await self._begun()
        async with conn.transaction(isolation=isolation, readonly=readonly, deferrable=deferrable) as savepoint:
            yield savepoint


async def store_reply(
    conn: Connection,
    inbound: repository.StoredMessage,
    user_phone: str,
    answer: str,
    action: Action,
    request_id: str,
    meta: dict[str, object],
    *,
    extras: dict[str, object] | None = None,
) -> None:
    """The turn's one reply, as the answer to `inbound`: a second one for it is refused (unique `reply_to`).
    `extras`: what the answer holds besides the text (`reply.reply_extras`), for a retry that finds this reply."""
    await repository.add_message(
        conn,
        conversation_id=inbound.conversation_id,
        user_phone=user_phone,
        role="assistant",
        content=answer,
        request_id=request_id,
        action=action.value,
        meta={"source": "template", **meta},
        reply_to=inbound.id,
        answer_extras=extras,
    )


async def next_in_turn(conn: Connection, conversation_id: UUID, templates: Sequence[str], *, limit: int) -> str:
    """The next of `templates` after the last of them among the conversation's latest `limit` messages."""
    messages = await repository.recent_messages(conn, conversation_id=conversation_id, limit=limit)
    return next_template(templates, [m.content for m in messages if m.role == "assistant"])


def next_template(templates: Sequence[str], said: Sequence[str]) -> str:
    """The template after the last of `templates` among the replies `said` (oldest first), else the first:
    a patient who keeps writing never gets the same words twice in a row."""
    for reply in reversed(said):
        if reply in templates:
            return templates[(templates.index(reply) + 1) % len(templates)]
    return templates[0]
