"""A patient's messages take turns, on every gateway copy, with no connection held for the turn.

A turn holds its phone's lease: a row of `turn_leases`, taken by the turn's first statement (`chat_turn_begin`),
renewed in one short statement on a pooled connection, and given back by the turn's last (or one more), so a turn
waiting on the model holds no connection. A message that finds the lease held polls for it, doing nothing else,
until its own deadline, then gets 503 (TurnTaken).

A lease is short (`TURN_LEASE_SECONDS`, 3 s) and a heartbeat renews it every third of that while its turn runs,
so a lease left by a gateway copy that died mid-turn (SIGKILL, a lost host) frees the phone within that time, and
the retry of its delivery on another copy is answered within its deadline. A turn never outlives its lease
unnoticed: a renewal that finds the lease gone (or another turn's) interrupts the turn at once, and so does having
no renewal confirmed for 90 % of the lease (Postgres unreachable), before the lease can run out and another turn
take it (only an event loop stalled for longer than the lease could keep the heartbeat from seeing that in time).
The interrupted turn is answered 503 `turn_interrupted` with Retry-After; what it committed stays, and
its retry carries on from there (the message is stored under its id). Giving the lease back takes a fresh pooled
connection, with retries; if that fails too, the lease runs out on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID, uuid4

import asyncpg
import structlog

from gateway.db import Connection, on_live_session
from gateway.errors import RETRY_AFTER_SECONDS, GatewayError
from gateway.resilience import DependencyUnavailable, Guard

log = structlog.get_logger(__name__)
T = TypeVar("T")

# How often a waiting message looks again. Two messages of one patient at once are rare; each look is one
# indexed statement.
POLL_SECONDS = 0.05
# A turn with no renewal confirmed for this share of its lease is interrupted: the rest is slack for the
# interruption to land before the lease can run out.
_INTERRUPT_AT = 0.9


class TurnTaken(GatewayError):
    """The patient's previous message is still being answered past this request's deadline."""

    code = "patient_busy"

    def __init__(self) -> None:
        super().__init__(
            "this patient's previous message is still being answered; retry shortly",
            retry_after=RETRY_AFTER_SECONDS,
        )


class TurnInterrupted(GatewayError):
    """The turn's lease could not be kept (Postgres unreachable, or the lease found gone): the turn was stopped
    before another message of the patient could take its turn."""

    code = "turn_interrupted"

    def __init__(self) -> None:
        super().__init__(
            "this message's turn was interrupted; retry it (with the same message_id nothing is stored twice)",
            retry_after=RETRY_AFTER_SECONDS,
        )


@dataclass
class Lease:
    """A turn's hold on its phone: the row of `turn_leases` it holds (`key`, `holder`).

    The turn takes it in its own first statement (`repository.begin_turn`) and says so with `taken(asked)`; it may
    give it back in its own last statement (`repository.finish_turn`) rather than in one more round trip: it sets
    `returning` before sending that statement and `returned` once it committed. A renewal that then finds the
    lease gone stops quietly, and `TurnLeases.kept` does not give it back again.
    """

    key: str
    holder: UUID
    returning: bool = False
    returned: bool = False
    # Since when (time.monotonic()) the turn may hold it: when the statement that took it was sent. None: not yet.
    taken_at: float | None = None
    _on_taken: Callable[[float], None] | None = field(default=None, repr=False)

    def taken(self, asked: float) -> None:
        """The statement sent at `asked` took (or kept) the lease: from now on it is renewed while the turn runs."""
        if self.taken_at is None:
            self.taken_at = asked
            if self._on_taken is not None:
                self._on_taken(asked)


class LeaseBusy(Exception):
    """Another turn of the phone holds its lease: nothing was done; try again shortly."""


class TurnLeases:
    """Per-phone turn leases in Postgres, which every turn needs anyway (its messages are stored there)."""

    def __init__(self, pool: asyncpg.Pool, *, guard: Guard, lease_seconds: float) -> None:
        self._pool = pool
        self._guard = guard
        self._ttl = lease_seconds

    @staticmethod
    def key(phone: str) -> str:
        """The lease's key for `phone`: a hash, so the table never holds a phone number."""
        return hashlib.sha256(f"turn:{phone}".encode()).hexdigest()[:32]

    def lease(self, phone: str) -> Lease:
        """A lease for a turn of `phone`, not taken yet."""
        return Lease(self.key(phone), uuid4())

    async def take_turns(self, phone: str, *, deadline: float, turn: Callable[[Lease], Awaitable[T]]) -> T:
        """`turn(lease)`, which takes the phone's lease in its first statement (`Lease.taken`) or raises LeaseBusy
        having done nothing, run again every POLL_SECONDS while another message holds the lease, until `deadline`
        (a `time.monotonic()` instant): then TurnTaken. The lease is renewed while the turn runs; when it cannot
        be kept the turn is interrupted with TurnInterrupted.
        """
        while True:
            try:
                async with self.kept(self.lease(phone)) as lease:
                    return await turn(lease)
            except LeaseBusy:
                pass
            await asyncio.sleep(POLL_SECONDS)
            if time.monotonic() + POLL_SECONDS >= deadline:
                raise TurnTaken()

    @asynccontextmanager
    async def kept(self, lease: Lease) -> AsyncIterator[Lease]:
        """The block's hold on `lease`, which the block takes (`Lease.taken`): renewed from then on, and given
        back after the block unless the block gave it back itself. TurnInterrupted when it cannot be kept."""
        heartbeat: asyncio.Task[None] | None = None
        try:
            # The heartbeat stops the block by expiring this timeout, which also sees to the task's cancellation
            # count; `expired()` tells its TimeoutError from one raised inside the block.
            async with asyncio.timeout(None) as interrupt:

                def keep_from(asked: float) -> None:
                    nonlocal heartbeat
                    heartbeat = asyncio.create_task(self._keep(lease, asked, interrupt), name="turn-lease")

                lease._on_taken = keep_from
                try:
                    yield lease
                finally:
                    lease._on_taken = None
                    if heartbeat is not None:
                        # Waited for, so no renewal runs after the lease is given back; asyncio.wait neither
                        # raises the heartbeat's cancellation nor swallows this task's own.
                        heartbeat.cancel()
                        await asyncio.wait({heartbeat})
        except TimeoutError:
            if interrupt.expired():
                raise TurnInterrupted() from None
            raise
        finally:
            if lease.taken_at is not None and not lease.returned:
                await self._give_back(lease.key, lease.holder)

    async def _keep(self, lease: Lease, taken: float, interrupt: asyncio.Timeout) -> None:
        """Renew the lease every third of its length until cancelled; expire `interrupt` once it cannot be kept.

        `taken` is when the statement that took the lease was sent: the lease runs at least until `taken` plus
        its length, by Postgres's clock, which runs at the rate of this one's.
        """
        every = self._ttl / 3
        valid_until = taken + self._ttl
        asked = taken
        while True:
            give_up_at = valid_until - (1 - _INTERRUPT_AT) * self._ttl
            await asyncio.sleep(max(0.0, min(asked + every, give_up_at) - time.monotonic()))
            if time.monotonic() >= give_up_at:
                log.warning("turn_lease_not_kept", reason="not_renewed")
                interrupt.reschedule(asyncio.get_running_loop().time())
                return
            asked = time.monotonic()
            try:
                held = await self._renew(lease.key, lease.holder, deadline=give_up_at)
            except Exception as exc:
                # Not fatal yet: the next renewal may get through before the lease runs short.
                reason = exc.reason if isinstance(exc, DependencyUnavailable) else type(exc).__name__
                log.warning("turn_lease_not_renewed", reason=reason)
                continue
            if not held and (lease.returning or lease.returned):
                return  # given back by the turn's last statement: the turn is done with it
            if not held:
                log.warning("turn_lease_not_kept", reason="lost")
                interrupt.reschedule(asyncio.get_running_loop().time())
                return
            valid_until = asked + self._ttl

    async def _renew(self, key: str, holder: UUID, *, deadline: float) -> bool:
        """Whether the lease was still this turn's, and is now again for a whole length."""

        async def attempt(seconds_left: float) -> bool:
            async def renew(conn: Connection) -> bool:
                renewed: bool | None = await conn.fetchval(
                    """
                    UPDATE turn_leases SET expires_at = now() + make_interval(secs => $3)
                    WHERE key = $1 AND holder = $2
                    RETURNING true
                    """,
                    key,
                    holder,
                    self._ttl,
                    timeout=seconds_left,
                )
                return bool(renewed)

            return await on_live_session(self._pool, renew, acquire_timeout=seconds_left)

        return await self._guard.call(attempt, deadline=deadline)

    async def _give_back(self, key: str, holder: UUID) -> None:
        """On a fresh pooled connection, retried for up to a lease's length. Not raising (the turn is answered, or
        failing already): a lease not given back runs out within its length."""

        async def attempt(seconds_left: float) -> bool:
            async def delete(conn: Connection) -> bool:
                status: str = await conn.execute(
                    "DELETE FROM turn_leases WHERE key = $1 AND holder = $2", key, holder, timeout=seconds_left
                )
                return status != "DELETE 0"

            return await on_live_session(self._pool, delete, acquire_timeout=seconds_left)

        try:
            held = await self._guard.call(attempt, deadline=time.monotonic() + self._ttl)
        except DependencyUnavailable:
            log.warning("turn_lease_not_given_back")
            return
        if not held:
            # Only after a turn interrupted for its lease: the heartbeat stops any other turn before its lease ends.
            log.warning("turn_lease_expired_during_turn")
