"""LazyTransaction on real Postgres: no BEGIN until a statement needs one, and then the same transaction as
asyncpg's own (commit at the end, rollback on an error, savepoints inside)."""

from __future__ import annotations

import asyncpg
import pytest

from gateway.conversation.storing import LazyTransaction


@pytest.fixture
async def table(conn: asyncpg.Connection) -> str:
    await conn.execute("CREATE TABLE lazy_rows (n int PRIMARY KEY)")
    return "lazy_rows"


async def rows(database_url: str) -> list[int]:
    """What another session sees: only what was committed."""
    other = await asyncpg.connect(database_url)
    try:
        return [r["n"] for r in await other.fetch("SELECT n FROM lazy_rows ORDER BY n")]
    finally:
        await other.close()


async def test_a_block_with_no_statement_begins_no_transaction(conn: asyncpg.Connection) -> None:
    async with LazyTransaction(conn) as lazy:
        assert not lazy.began and not conn.is_in_transaction()
    assert not conn.is_in_transaction()


async def test_the_first_statement_begins_it_and_the_end_of_the_block_commits(
    conn: asyncpg.Connection, table: str, database_url: str
) -> None:
    async with LazyTransaction(conn) as lazy:
        assert await lazy.fetchval("SELECT count(*) FROM lazy_rows") == 0
        assert lazy.began and conn.is_in_transaction()
        await lazy.execute("INSERT INTO lazy_rows VALUES (1)")
        await lazy.executemany("INSERT INTO lazy_rows VALUES ($1)", [(2,), (3,)])
        # The wrapped connection's own statements are in the same transaction: the turn's last one goes there.
        await conn.execute("INSERT INTO lazy_rows VALUES (4)")
        assert await rows(database_url) == []
        assert [r["n"] for r in await lazy.fetch("SELECT n FROM lazy_rows ORDER BY n")] == [1, 2, 3, 4]
        assert (await lazy.fetchrow("SELECT max(n) AS top FROM lazy_rows"))["top"] == 4  # type: ignore[index]

    assert not conn.is_in_transaction()
    assert await rows(database_url) == [1, 2, 3, 4]


async def test_an_error_rolls_back_everything_the_block_did(
    conn: asyncpg.Connection, table: str, database_url: str
) -> None:
    with pytest.raises(RuntimeError):
        async with LazyTransaction(conn) as lazy:
            await lazy.execute("INSERT INTO lazy_rows VALUES (1)")
            await conn.execute("INSERT INTO lazy_rows VALUES (2)")
            raise RuntimeError("the turn failed")

    assert not conn.is_in_transaction()
    assert await rows(database_url) == []


async def test_without_a_statement_in_the_block_the_connection_s_own_statement_commits_alone(
    conn: asyncpg.Connection, table: str, database_url: str
) -> None:
    with pytest.raises(RuntimeError):
        async with LazyTransaction(conn):
            await conn.execute("INSERT INTO lazy_rows VALUES (1)")
            raise RuntimeError("after the one statement")

    assert await rows(database_url) == [1]


async def test_a_transaction_inside_is_a_savepoint_of_the_one_it_begins(
    conn: asyncpg.Connection, table: str, database_url: str
) -> None:
    async with LazyTransaction(conn) as lazy:
        with pytest.raises(asyncpg.UniqueViolationError):
            async with lazy.transaction():
                assert lazy.began
                await lazy.execute("INSERT INTO lazy_rows VALUES (1)")
                await lazy.execute("INSERT INTO lazy_rows VALUES (1)")
        await lazy.execute("INSERT INTO lazy_rows VALUES (2)")

    assert await rows(database_url) == [2]
