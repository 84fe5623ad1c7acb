"""Fixtures of the backup tools' tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from devstack.embedded import with_database


@pytest.fixture
def missing_database_url(postgres_server_url: str) -> Iterator[str]:
    """A URL to a database that does not exist yet (dropped afterwards if a test created it)."""
    name = f"clinic_restore_{uuid.uuid4().hex[:12]}"
    yield with_database(postgres_server_url, name)

    async def drop() -> None:
        conn = await asyncpg.connect(postgres_server_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())
