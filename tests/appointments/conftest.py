"""A seeded demo clinic and fixed clock for the appointments tests (times are La Paz, UTC-4)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.clinic import Clinic, seeded_clinic


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def clinic(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)
