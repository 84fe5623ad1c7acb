"""A turn's lease on its phone (TurnLeases), on real Postgres: given back by the turn's own last statement, it is
not missed by the heartbeat; lost any other way, the turn is interrupted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.conversation.turn_lease import TurnInterrupted, TurnLeases
from gateway.resilience import Guard

# Renewed every 0.1 s.
LEASE_SECONDS = 0.3


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


async def test_a_lease_given_back_by_the_turns_last_statement_does_not_interrupt_the_turn(
    leases: TurnLeases, conn: asyncpg.Connection
) -> None:
    async with leases.hold("+59170123456", deadline=time.monotonic() + 5) as lease:
        lease.returning = True
        await conn.execute("DELETE FROM turn_leases WHERE key = $1 AND holder = $2", lease.key, lease.holder)
        lease.returned, lease.returning = True, False
        # Several renewals find it gone meanwhile.
        await asyncio.sleep(LEASE_SECONDS * 2)

    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 0


async def test_a_lease_lost_otherwise_interrupts_the_turn(leases: TurnLeases, conn: asyncpg.Connection) -> None:
    with pytest.raises(TurnInterrupted):
        async with leases.hold("+59170123456", deadline=time.monotonic() + 5) as lease:
            await conn.execute("DELETE FROM turn_leases WHERE key = $1", lease.key)
            await asyncio.sleep(LEASE_SECONDS * 2)


async def test_a_lease_the_turn_kept_is_given_back_when_the_turn_ends(
    leases: TurnLeases, conn: asyncpg.Connection
) -> None:
    async with leases.hold("+59170123456", deadline=time.monotonic() + 5):
        assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 1

    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 0
