"""What the notification tests share: a connection to their own database, the fake Graph API, a doctor."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.notifications.support import seed_doctor


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
async def doctor(conn: asyncpg.Connection) -> int:
    return await seed_doctor(conn)
