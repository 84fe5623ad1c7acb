"""What the notification tests share: a connection to their own database, the fake Graph API, a doctor, and what a
notification service sends with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import asyncpg
import pytest

from gateway.clock import Clock
from gateway.jobs import Backoff, JobQueue
from gateway.whatsapp.client import GraphClient
from notifications.delivery import Sending
from notifications.metrics import NotificationMetrics
from notifications.senders import Sender, WhatsAppSender
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.notifications.support import PHONE_NUMBER_ID, seed_doctor


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
async def doctor(conn: asyncpg.Connection) -> int:
    return await seed_doctor(conn)


MakeSending = Callable[..., Awaitable[Sending]]


@pytest.fixture
async def make_sending(runtime_database_url: str, graph: FakeGraphApi) -> AsyncIterator[MakeSending]:
    """Makes what a notification service under test sends with: a pool and a job queue of its own (opened), fresh
    metrics, fast retries, and `sender` or else the WhatsApp sender to the fake Graph API; all closed after the test."""
    opened: list[Sending] = []

    async def make(
        clock: Clock, *, sender: Sender | None = None, retries: int = 3, send_timeout: float = 5, lease: float = 6
    ) -> Sending:
        pool = await asyncpg.create_pool(runtime_database_url, min_size=1, max_size=2)
        queue = JobQueue(
            runtime_database_url,
            concurrency=1,
            lease_seconds=5,
            recover_every_seconds=1,
            grace_seconds=1,
            namespace="notifications.jobs",
        )
        if sender is None:
            client = GraphClient(
                base_url=graph.url, api_version="v21.0", access_token="test-token", timeout=send_timeout
            )
            sender = WhatsAppSender(client, PHONE_NUMBER_ID)
        retry = Backoff(retries=retries, first_seconds=0.05, max_seconds=0.1)
        sending = Sending(
            pool, queue, sender, NotificationMetrics(), clock, retry, send_lease_seconds=lease, tick_seconds=1
        )
        await queue.app.open_async()
        opened.append(sending)
        return sending

    yield make
    for sending in opened:
        await sending.queue.app.close_async()
        await sending.sender.aclose()
        await sending.pool.close()
