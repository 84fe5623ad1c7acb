"""Idempotent POST /chat: the first delivery of a key is answered; retries of it get that answer again.

Keys are scoped to the API key that sent them. The claim is a row in Postgres, so a retry that reaches
another gateway copy, or arrives while the first delivery is still running, finds it: a finished one
is answered from the stored response, a running one is waited for, and the same key with another body
is refused. A delivery that fails releases its claim, so the retry really runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import asyncpg

from gateway.errors import GatewayError

# A running claim this much older than the request deadline belongs to a gateway that died mid-request
# (no answer can take longer than the deadline): a retry takes it over.
STALE_MARGIN_SECONDS = 2.0
_POLL_SECONDS = 0.05


class KeyReused(GatewayError):
    status_code = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this idempotency key was already used with a different request body")


class StillProcessing(GatewayError):
    status_code = 409
    code = "request_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "the first delivery of this request is still being answered; retry shortly", headers={"Retry-After": "1"}
        )


def body_hash(body: Mapping[str, Any]) -> str:
    """A hash of the request body that ignores key order and whitespace."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Claims:
    """Claims on idempotency keys, in the `chat_requests` table."""

    def __init__(self, pool: asyncpg.Pool, *, request_deadline: float) -> None:
        self._pool = pool
        self._stale_after = request_deadline + STALE_MARGIN_SECONDS

    def wait_budget(self) -> float:
        """How long a retry may wait for a running first delivery: until it answers or is known dead."""
        return self._stale_after + 1.0

    async def claim(self, api_key_id: int, key: str, digest: str, *, deadline: float) -> dict[str, Any] | None:
        """None when this delivery is the one to run; the stored answer when an earlier one finished.

        Waits while an earlier delivery is running (until `deadline`, a `time.monotonic()` instant).
        Raises KeyReused or StillProcessing.
        """
        while True:
            async with self._pool.acquire() as conn:
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
                row = await conn.fetchrow(
                    """
                    SELECT body_hash, state, response FROM chat_requests
                    WHERE api_key_id = $1 AND idempotency_key = $2
                    """,
                    api_key_id,
                    key,
                )
            if row is None:  # released between the two statements: try again
                continue
            if row["body_hash"] != digest:
                raise KeyReused()
            if row["state"] == "done":
                stored: dict[str, Any] = json.loads(row["response"])
                return stored
            if time.monotonic() >= deadline:
                raise StillProcessing()
            await asyncio.sleep(_POLL_SECONDS)

    async def complete(self, api_key_id: int, key: str, response: Mapping[str, Any]) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                """
                UPDATE chat_requests SET state = 'done', response = $3::jsonb, completed_at = now()
                WHERE api_key_id = $1 AND idempotency_key = $2
                """,
                api_key_id,
                key,
                json.dumps(response),
            )

    async def release(self, api_key_id: int, key: str) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "DELETE FROM chat_requests WHERE api_key_id = $1 AND idempotency_key = $2 AND state = 'processing'",
                api_key_id,
                key,
            )
