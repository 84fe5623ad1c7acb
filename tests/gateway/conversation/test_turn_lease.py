"""A turn's lease on its phone (TurnLeases), on real Postgres: given back by the turn's own last statement, it is
not missed by the heartbeat; lost any other way, the turn is interrupted; a busy phone is waited for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.conversation.turn_lease import POLL_SECONDS, Lease, LeaseBusy, TurnInterrupted, TurnLeases, TurnTaken
from gateway.resilience import Guard

# Renewed every 0.1 s.
LEASE_SECONDS = 0.3
PHONE = "+59170123456"


@pytest.fixture
async def leases(runtime_database_url: str) -> AsyncIterator[TurnLeases]:
    pool = await asyncpg.create_pool(runtime_database_url, min_size=1, max_size=3)
    guard = Guard(
        "postgres", attempts=1, backoff_seconds=0.01, fail_max=100, reset_timeout=1, is_failure=lambda _: False
    )
    try:
        yield TurnLeases(pool, guard=guard, lease_seconds=LEASE_SECONDS)
    finally:
        await pool.close()


async def take(conn: asyncpg.Connection, lease: Lease) -> None:
    """What the turn's first statement does to the lease (chat_turn_begin)."""
    asked = time.monotonic()
    await conn.execute(
        "INSERT INTO turn_leases (key, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
        lease.key,
        lease.holder,
        LEASE_SECONDS,
    )
    lease.taken(asked)


async def test_a_lease_given_back_by_the_turns_last_statement_does_not_interrupt_the_turn(
    leases: TurnLeases, conn: asyncpg.Connection
) -> None:
    async with leases.kept(leases.lease(PHONE)) as lease:
        await take(conn, lease)
        lease.returning = True
        await conn.execute("DELETE FROM turn_leases WHERE key = $1 AND holder = $2", lease.key, lease.holder)
        lease.returned, lease.returning = True, False
        # Several renewals find it gone meanwhile.
        await asyncio.sleep(LEASE_SECONDS * 2)

    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 0


async def test_a_lease_lost_otherwise_interrupts_the_turn(leases: TurnLeases, conn: asyncpg.Connection) -> None:
    with pytest.raises(TurnInterrupted):
        async with leases.kept(leases.lease(PHONE)) as lease:
            await take(conn, lease)
            await conn.execute("DELETE FROM turn_leases WHERE key = $1", lease.key)
            await asyncio.sleep(LEASE_SECONDS * 2)


async def test_a_lease_the_turn_kept_is_renewed_and_given_back_when_the_turn_ends(
    leases: TurnLeases, conn: asyncpg.Connection
) -> None:
    async with leases.kept(leases.lease(PHONE)) as lease:
        await take(conn, lease)
        # Past its length, still the turn's: renewed.
        await asyncio.sleep(LEASE_SECONDS * 2)
        assert await conn.fetchval("SELECT expires_at > now() FROM turn_leases WHERE holder = $1", lease.holder)

    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 0


async def test_a_turn_that_finds_the_phone_busy_tries_again_until_its_deadline(leases: TurnLeases) -> None:
    tries = 0

    async def busy_turn(lease: Lease) -> None:
        nonlocal tries
        tries += 1
        raise LeaseBusy()

    started = time.monotonic()
    with pytest.raises(TurnTaken):
        await leases.take_turns(PHONE, deadline=started + 0.5, turn=busy_turn)

    assert tries >= 0.5 / POLL_SECONDS / 2
    assert time.monotonic() - started < 1.5


async def test_a_turn_that_finds_the_phone_busy_goes_on_once_it_is_free(leases: TurnLeases) -> None:
    tries = 0

    async def turn(lease: Lease) -> str:
        nonlocal tries
        tries += 1
        if tries < 3:
            raise LeaseBusy()
        return "answered"

    assert await leases.take_turns(PHONE, deadline=time.monotonic() + 5, turn=turn) == "answered"
    assert tries == 3
