"""Idempotent POST /chat: the first delivery of a key is answered; retries of it get that answer again.

Keys are scoped to the API key that sent them. The claim is a row in Postgres, so a retry that reaches
another gateway copy, or arrives while the first delivery is still running, finds it: a finished one
is answered from the stored response, a running one is waited for, and the same key with another body
is refused. A delivery that fails releases its claim, so the retry really runs.

The claim is the fast path, not what makes a message count once: the message is stored under its id
(`messages.inbound_key`, see ChatService.reply), so a delivery that stored it and died before completing its
claim leaves a retry that finds the stored message (and its reply) instead of storing it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import asyncpg
import structlog

from gateway.db import Connection, on_live_session
from gateway.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable, GatewayError
from gateway.resilience import DependencyUnavailable, Guard

log = structlog.get_logger(__name__)

# A running claim this much older than the request deadline belongs to a gateway that died mid-request
# (no answer can take longer than the deadline): a retry takes it over.
STALE_MARGIN_SECONDS = 2.0
_POLL_SECONDS = 0.05


class KeyReused(GatewayError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this idempotency key was already used with a different request body")


class StillProcessing(GatewayError):
    code = "request_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "the first delivery of this request is still being answered; retry shortly", retry_after=RETRY_AFTER_SECONDS
        )


def body_hash(body: Mapping[str, Any]) -> str:
    """A hash of the request body that ignores key order and whitespace."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Claims:
    """Claims on idempotency keys, in the `chat_requests` table."""

    def __init__(self, pool: asyncpg.Pool, *, request_deadline: float, guard: Guard) -> None:
        self._pool = pool
        self._guard = guard
        self._request_deadline = request_deadline
        self._stale_after = request_deadline + STALE_MARGIN_SECONDS

    async def _run(self, statement: str, *args: object) -> None:
        """`statement` on a pooled connection; one lost on the way is discarded and the statement run on another.

        Raises DatabaseUnavailable when no attempt succeeds within a request deadline.
        """

        async def attempt(seconds_left: float) -> None:
            async def run(conn: Connection) -> None:
                await conn.execute(statement, *args, timeout=seconds_left)

            await on_live_session(self._pool, run, acquire_timeout=seconds_left)

        try:
            await self._guard.call(attempt, deadline=time.monotonic() + self._request_deadline)
        except DependencyUnavailable as exc:
            raise DatabaseUnavailable() from exc

    def wait_budget(self) -> float:
        """How long a retry may wait for a running first delivery: until it answers or is known dead."""
        return self._stale_after + 1.0

    async def claim(self, api_key_id: int, key: str, digest: str, *, deadline: float) -> dict[str, Any] | None:
        """None when this delivery is the one to run; the stored answer when an earlier one finished.

        Waits while an earlier delivery is running (until `deadline`, a `time.monotonic()` instant).
        Raises KeyReused or StillProcessing.
        """
        while True:
            try:
                row = await self._guard.call(
                    lambda seconds_left: self._try_claim(api_key_id, key, digest, seconds_left), deadline=deadline
                )
            except DependencyUnavailable as exc:
                raise DatabaseUnavailable() from exc
            if row is None:  # claimed: this delivery runs
                return None
            if row["body_hash"] != digest:
                raise KeyReused()
            if row["state"] == "done":
                stored: dict[str, Any] = json.loads(row["response"])
                return stored
            if time.monotonic() >= deadline:
                raise StillProcessing()
            await asyncio.sleep(_POLL_SECONDS)

    async def _try_claim(
        self, api_key_id: int, key: str, digest: str, seconds_left: float
    ) -> asyncpg.Record | dict[str, Any] | None:
        """None when the claim is now this delivery's; else the row that holds it."""

        async def run(conn: Connection) -> asyncpg.Record | None:
            while True:
                claimed = await conn.fetchval(
                    """
                    INSERT INTO chat_requests (api_key_id, idempotency_key, body_hash) VALUES ($1, $2, $3)
                    ON CONFLICT (api_key_id, idempotency_key) DO UPDATE
                        SET started_at = now()
                        WHERE chat_requests.state = 'processing'
                          AND chat_requests.body_hash = EXCLUDED.body_hash
                          AND chat_requests.started_at < now() - make_interval(secs => $4)
                    RETURNING true
                    """,
                    api_key_id,
                    key,
                    digest,
                    self._stale_after,
                )
                if claimed:
                    return None
                row: asyncpg.Record | None = await conn.fetchrow(
                    """
                    SELECT body_hash, state, response FROM chat_requests
                    WHERE api_key_id = $1 AND idempotency_key = $2
                    """,
                    api_key_id,
                    key,
                )
                if row is not None:
                    return row
                # released between the two statements: try again

        return await on_live_session(self._pool, run, acquire_timeout=seconds_left)

    async def complete(self, api_key_id: int, key: str, response: Mapping[str, Any]) -> None:
        """Record the answer for retries. Not raising: the answer stands even when the record cannot be written,
        as the message and its reply are stored under the message's id and a retry finds them."""
        try:
            await self._run(
                """
                UPDATE chat_requests SET state = 'done', response = $3::jsonb, completed_at = now()
                WHERE api_key_id = $1 AND idempotency_key = $2
                """,
                api_key_id,
                key,
                json.dumps(response),
            )
        except DatabaseUnavailable:
            log.warning("idempotency_claim_not_completed")

    async def release(self, api_key_id: int, key: str) -> None:
        """Free the key for a retry. Not raising (the caller is answering a failure already): a claim that cannot
        be released is taken over by a retry once it is stale."""
        try:
            await self._run(
                "DELETE FROM chat_requests WHERE api_key_id = $1 AND idempotency_key = $2 AND state = 'processing'",
                api_key_id,
                key,
            )
        except DatabaseUnavailable:
            log.warning("idempotency_claim_not_released")
