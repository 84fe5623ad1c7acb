"""A patient's messages take turns, on every gateway copy, with no connection held for the turn.

A turn holds its phone's lease: a row of `turn_leases`, taken and given back in one short statement each on a
pooled connection, so a turn waiting on the model holds no connection. A message that finds the lease held polls
for it until its own deadline, then gets 503 (PatientBusy). A lease ends when its turn gives it back, or, when the
gateway copy running the turn died, when it expires: at the turn's deadline plus the margin the idempotency claims
use, so a retry of the dead copy's delivery finds its claim stale and the phone free at about the same time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

import asyncpg
import structlog

from gateway.db import Connection, on_live_session
from gateway.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable, GatewayError
from gateway.idempotency import STALE_MARGIN_SECONDS
from gateway.resilience import DependencyUnavailable, Guard

log = structlog.get_logger(__name__)

# How often a waiting message looks again. Two messages of one patient at once are rare; each look is one
# indexed statement.
POLL_SECONDS = 0.05


class PatientBusy(GatewayError):
    """The patient's previous message is still being answered past this request's deadline."""

    status_code = 503
    code = "patient_busy"

    def __init__(self) -> None:
        super().__init__(
            "this patient's previous message is still being answered; retry shortly",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )


class TurnLeases:
    """Per-phone turn leases in Postgres, which every turn needs anyway (its messages are stored there)."""

    def __init__(self, pool: asyncpg.Pool, *, guard: Guard) -> None:
        self._pool = pool
        self._guard = guard

    @staticmethod
    def key(phone: str) -> str:
        """The lease's key for `phone`: a hash, so the table never holds a phone number."""
        return hashlib.sha256(f"turn:{phone}".encode()).hexdigest()[:32]

    @asynccontextmanager
    async def hold(self, phone: str, *, deadline: float) -> AsyncIterator[None]:
        """The phone's turn, until the block ends or `deadline` (a `time.monotonic()` instant) and the margin pass.

        Waits for a turn another message holds until `deadline`; raises PatientBusy after it, or
        DatabaseUnavailable when Postgres cannot be reached in time.
        """
        key, holder = self.key(phone), uuid4()
        while not await self._try_take(key, holder, deadline):
            await asyncio.sleep(POLL_SECONDS)
            if time.monotonic() + POLL_SECONDS >= deadline:
                raise PatientBusy()
        try:
            yield
        finally:
            await self._give_back(key, holder)

    async def _try_take(self, key: str, holder: UUID, deadline: float) -> bool:
        async def attempt(seconds_left: float) -> bool:
            async def take(conn: Connection) -> bool:
                # Taken if free or expired; a second run by the same holder (after a lost session) takes it again.
                taken: bool | None = await conn.fetchval(
                    """
                    INSERT INTO turn_leases AS lease (key, holder, expires_at)
                    VALUES ($1, $2, now() + make_interval(secs => $3))
                    ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                        WHERE lease.expires_at < now() OR lease.holder = EXCLUDED.holder
                    RETURNING true
                    """,
                    key,
                    holder,
                    seconds_left + STALE_MARGIN_SECONDS,
                    timeout=seconds_left,
                )
                return bool(taken)

            return await on_live_session(self._pool, take, acquire_timeout=seconds_left)

        try:
            return await self._guard.call(attempt, deadline=deadline)
        except DependencyUnavailable as exc:
            raise DatabaseUnavailable() from exc

    async def _give_back(self, key: str, holder: UUID) -> None:
        """Not raising (the turn is answered, or failing already): a lease not given back expires."""

        async def attempt(seconds_left: float) -> bool:
            async def delete(conn: Connection) -> bool:
                status: str = await conn.execute(
                    "DELETE FROM turn_leases WHERE key = $1 AND holder = $2", key, holder, timeout=seconds_left
                )
                return status != "DELETE 0"

            return await on_live_session(self._pool, delete, acquire_timeout=seconds_left)

        try:
            held = await self._guard.call(attempt, deadline=time.monotonic() + STALE_MARGIN_SECONDS)
        except DependencyUnavailable:
            log.warning("turn_lease_not_given_back")
            return
        if not held:
            # The turn outlived its lease: a later message of the patient may have been answered meanwhile.
            log.warning("turn_lease_expired_during_turn")
