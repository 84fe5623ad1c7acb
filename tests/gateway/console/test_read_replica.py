"""DATABASE_READ_URL: the console's polled, read-only lists read the replica; everything else reads the primary.

The "replica" here is a second database of the same schema holding a conversation the primary does not have, so
each page shows which server it read. A replica that is down fails those pages alone, with a 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from gateway.console.repository import StaffUser
from tests.gateway.console.conftest import Console, sign_in
from tests.gateway.console.test_inbox import PAGE, _conversation
from tests.support.services import clone_database, free_port, runtime_url

HTMX = {"hx-request": "true", "accept": "text/html"}


@pytest.fixture
def replica_url(postgres_server_url: str, template_database: str) -> Iterator[str]:
    with clone_database(postgres_server_url, template_database) as url:
        yield url


@pytest.fixture
async def replica(replica_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(replica_url)
    try:
        yield connection
    finally:
        await connection.close()


async def test_the_polled_lists_read_the_replica_and_a_conversation_page_reads_the_primary(
    console: Console, ana: StaffUser, replica_url: str, replica: asyncpg.Connection
) -> None:
    only_on_replica = await _conversation(replica, "+59170000901", "me duele el pecho", reason="emergency")
    browser = await console.make(DATABASE_READ_URL=runtime_url(replica_url))
    await sign_in(browser, ana.email)  # the staff user and the session: the primary's

    count = await browser.get("/console/fragmentos/esperando", headers=HTMX)
    listed = await browser.get("/console/fragmentos/conversaciones", headers=HTMX)
    opened = await browser.get(f"/console/conversaciones/{only_on_replica}", headers=PAGE)

    assert count.status_code == 200 and ">1<" in count.text
    assert "Emergencia" in listed.text and str(only_on_replica) in listed.text
    assert opened.status_code == 404  # a page that acts on a conversation reads the primary


async def test_without_a_replica_the_lists_read_the_primary(
    console: Console, ana: StaffUser, replica: asyncpg.Connection
) -> None:
    await _conversation(replica, "+59170000902", "ayuda", reason="human_handoff")
    browser = await console.make()
    await sign_in(browser, ana.email)
    count = await browser.get("/console/fragmentos/esperando", headers=HTMX)
    assert count.status_code == 200 and ">0<" in count.text


async def test_a_replica_that_is_down_fails_only_the_pages_reading_it_with_a_503(
    console: Console, ana: StaffUser
) -> None:
    browser = await console.make(DATABASE_READ_URL=f"postgresql://clinic_app@127.0.0.1:{free_port()}/clinic")
    await sign_in(browser, ana.email)
    assert (await browser.get("/console/", headers=PAGE)).status_code == 200
    count = await browser.get("/console/fragmentos/esperando", headers=HTMX)
    assert count.status_code == 503
