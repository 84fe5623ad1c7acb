"""The durable WhatsApp inbox and outbox: every acknowledged message answered exactly once, whatever dies when.

In-process gateways (as in test_whatsapp.py) for retries, timeouts and failures; real gateway subprocesses killed
with SIGKILL for crashes. The fake Graph API takes messages like Meta's and, like Meta, reports each one it took
in a signed `sent` status callback when told where to (`callback_to`).
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from appointments.demo import seed_demo_clinic
from gateway.security.api_keys import create_api_key
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.gateway.test_whatsapp import (
    ACCESS_TOKEN,
    APP_SECRET,
    MARIA,
    VERIFY_TOKEN,
    deliver,
    inbound_rows,
    settled,
    status_callback,
    text,
    user_messages,
    whatsapp_settings,
)
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.gateway import MakeClient
from tests.support.services import InferenceProcess, gateway_subprocess, runtime_url


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
async def seeded(conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)


@pytest.fixture
async def webhook(make_client: MakeClient, graph: FakeGraphApi, seeded: None) -> httpx.AsyncClient:
    return await make_client(**whatsapp_settings(graph))


async def outbox(conn: asyncpg.Connection) -> list[tuple[str, int]]:
    rows = await conn.fetch("SELECT status, attempts FROM whatsapp_outbound ORDER BY inbound_wamid, part")
    return [(r["status"], r["attempts"]) for r in rows]


# --- retries and timeouts ----------------------------------------------------------------------------------------


async def test_a_graph_500_then_200_sends_the_answer_once(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    graph.statuses = [500]
    await deliver(webhook, text(MARIA, "quiero una cita"))

    [row] = await settled(conn, 1)

    assert row["status"] == "answered"
    assert [s.status for s in graph.sent_to(MARIA)] == [500, 200]  # the Graph breaker's quick retry
    assert len(graph.delivered_to(MARIA)) == 1
    assert await outbox(conn) == [("sent", 1)]


async def test_a_graph_api_down_for_longer_than_one_send_gets_the_answer_sent_once_by_a_later_run(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    graph.statuses = [500, 500, 500]  # every quick retry of the first send (RETRY_ATTEMPTS) fails
    await deliver(webhook, text(MARIA, "quiero una cita"))

    [row] = await settled(conn, 1)

    assert row["status"] == "answered"
    assert [s.status for s in graph.sent_to(MARIA)] == [500, 500, 500, 200]
    assert len(graph.delivered_to(MARIA)) == 1
    assert await outbox(conn) == [("sent", 2)]  # two runs of the job posted it
    assert await conn.fetchval("SELECT attempts FROM whatsapp_inbound") == 2
    assert await user_messages(conn) == ["quiero una cita"]  # the turn ran once; only the send was retried


async def test_a_timeout_after_graph_took_the_message_is_not_sent_again_once_meta_reports_it(
    make_client: MakeClient, graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    settings = whatsapp_settings(graph) | {"WHATSAPP_TIMEOUT_SECONDS": 0.5, "WHATSAPP_CALLBACK_GRACE_SECONDS": 3}
    client = await make_client(**settings)
    graph.delays = [1.5]  # took it, answers after the gateway stopped waiting
    await deliver(client, text(MARIA, "quiero una cita"))
    [posted] = await graph.await_for(1, MARIA)

    # Meta's `sent` callback names the outbox part the message was sent for; it arrives during the grace.
    report = status_callback(MARIA)
    report["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = posted.body[
        "biz_opaque_callback_data"
    ]
    assert (await deliver(client, report)).status_code == 200
    [row] = await settled(conn, 1)

    assert row["status"] == "answered"
    assert len(graph.sent_to(MARIA)) == 1
    assert await outbox(conn) == [("sent", 1)]


async def test_a_timeout_without_a_report_is_posted_again_once_the_grace_has_passed(
    make_client: MakeClient, graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    # The one window no code closes (gateway/whatsapp/service.py): no answer and no callback, so the part is
    # posted again, but only after WHATSAPP_TIMEOUT_SECONDS + WHATSAPP_CALLBACK_GRACE_SECONDS.
    client = await make_client(**whatsapp_settings(graph) | {"WHATSAPP_TIMEOUT_SECONDS": 0.5})
    graph.delays = [1.0]
    await deliver(client, text(MARIA, "quiero una cita"))
    started = time.monotonic()
    [row] = await settled(conn, 1)

    assert row["status"] == "answered"
    assert len(graph.sent_to(MARIA)) == 2
    assert time.monotonic() - started >= 0.5 + 0.5 - 0.1
    assert await outbox(conn) == [("sent", 2)]


async def test_a_message_stored_by_a_copy_that_died_before_queueing_it_is_answered(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    # What a copy killed between its commit and its job leaves: the row, no job.
    await conn.execute(
        """
        INSERT INTO whatsapp_inbound (wamid, phone_number_id, wa_id, message_type, received_at, body)
        VALUES ('wamid.orphan', '106540352242922', $1, 'text', now() - interval '10 seconds', 'quiero una cita')
        """,
        MARIA,
    )

    [row] = await settled(conn, 1, within=15)

    assert (row["wamid"], row["status"]) == ("wamid.orphan", "answered")
    assert len(graph.delivered_to(MARIA)) == 1
    assert await conn.fetchval("SELECT body FROM whatsapp_inbound") is None  # the conversation keeps the text


# --- given up: metric, staff API ---------------------------------------------------------------------------------


async def test_a_message_failed_after_the_last_retry_is_counted_and_listed_for_staff(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    graph.status = 503
    await deliver(webhook, text(MARIA, "quiero una cita"))
    [row] = await settled(conn, 1)
    assert row["status"] == "failed"
    staff = (await create_api_key(conn, name="recepción", scopes={"staff"})).secret
    chat = (await create_api_key(conn, name="n8n", scopes={"chat"})).secret

    listed = await webhook.get("/staff/whatsapp/failed", headers={"X-API-Key": staff})
    refused = await webhook.get("/staff/whatsapp/failed", headers={"X-API-Key": chat})
    anonymous = await webhook.get("/staff/whatsapp/failed")
    metrics = (await webhook.get("/metrics")).text

    assert listed.status_code == 200, listed.text
    [failed] = listed.json()["messages"]
    assert failed["wamid"] == row["wamid"]
    assert failed["phone"] == "+591*****001"
    assert MARIA not in listed.text
    assert (failed["attempts"], failed["parts"], failed["parts_sent"]) == (3, 1, 0)
    assert "Graph API" in failed["error"]  # its 503, or the breaker those 503s opened
    assert (refused.status_code, anonymous.status_code) == (403, 401)
    assert 'whatsapp_failed_total{reason="graph_unavailable"} 1.0' in metrics
    assert 'whatsapp_failed_total{reason="graph_refused"} 0.0' in metrics
    assert "job_worker_up 1.0" in metrics
    audited = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'staff.whatsapp_failed.viewed' AND outcome = 'success'"
    )
    assert audited == 1


# --- crashes: real gateway processes, SIGKILL ----------------------------------------------------------------------


@pytest.fixture
def copy_env(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer, graph: FakeGraphApi
) -> dict[str, str]:
    """What every gateway copy of one deployment is started with."""
    graph.app_secret = APP_SECRET
    return {
        "APP_ENV": "development",
        "DATABASE_URL": runtime_url(database_url),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "INFERENCE_TARGET": inference_server.target,
        "INFERENCE_TIMEOUT_SECONDS": "30",
        "SMS_BASE_URL": sms.url,
        "SMS_API_TOKEN": "test-sms-token",
        "OTP_SECRET": "test-otp-secret-of-at-least-16-bytes",
        "RATE_LIMIT_USER_BURST": "1000",
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_GRAPH_BASE_URL": graph.url,
        "WHATSAPP_RETRY_FIRST_SECONDS": "0.5",
        "WHATSAPP_CALLBACK_GRACE_SECONDS": "1",
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_RECOVER_EVERY_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }


async def answered_once(conn: asyncpg.Connection, graph: FakeGraphApi, within: float = 40) -> None:
    [row] = await settled(conn, 1, within=within)
    assert row["status"] == "answered", row
    await asyncio.sleep(2)  # a second answer would come within the lease and the recovery tick
    assert len(graph.delivered_to(MARIA)) == 1, graph.sent_to(MARIA)
    assert [s for s, _ in await outbox(conn)] == ["sent"]


async def test_a_copy_killed_while_its_graph_send_is_in_flight_is_answered_once_by_the_next(
    copy_env: dict[str, str], graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    graph.delays = [3.0]  # Meta takes the message, answers slowly: the copy dies waiting
    with gateway_subprocess(copy_env) as (url, first):
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await deliver(client, text(MARIA, "quiero una cita"))).json()["accepted"] == 1
        await graph.await_for(1, MARIA)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert [r["status"] for r in await inbound_rows(conn)] == ["received"]

    with gateway_subprocess(copy_env) as (url, _):
        graph.callback_to = url  # Meta's `sent` report, retried until someone answers it
        await answered_once(conn, graph)
    assert await user_messages(conn) == ["quiero una cita"]


async def test_a_copy_killed_while_the_graph_api_fails_is_answered_once_by_the_next(
    copy_env: dict[str, str], graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    graph.status = 503
    with gateway_subprocess(copy_env) as (url, first):
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await deliver(client, text(MARIA, "quiero una cita"))).json()["accepted"] == 1
        await graph.await_for(1, MARIA)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    graph.status = 200

    with gateway_subprocess(copy_env) as (url, _):
        graph.callback_to = url
        await answered_once(conn, graph)
    assert await user_messages(conn) == ["quiero una cita"]


async def test_a_copy_killed_right_after_acknowledging_is_answered_once_by_the_other(
    copy_env: dict[str, str], graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    with gateway_subprocess(copy_env) as (other_url, _), gateway_subprocess(copy_env) as (url, first):
        graph.callback_to = other_url
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await deliver(client, text(MARIA, "quiero una cita"))).json()["accepted"] == 1
        first.send_signal(signal.SIGKILL)  # wherever its worker (or the other's) was: storing, the turn, the send
        first.wait(timeout=10)
        await answered_once(conn, graph)
    # A turn cut short is continued under the wamid, never stored twice.
    assert await user_messages(conn) == ["quiero una cita"]


async def test_the_job_worker_outlives_its_database_connections_being_terminated(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await deliver(webhook, text(MARIA, "hola"))
    await settled(conn, 1)
    # Every session of the gateway ends: asyncpg's pool, the queue's pool, the worker's LISTEN connection.
    await conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    )

    for _ in range(20):  # Meta retries a delivery that was not answered 200
        if (await deliver(webhook, text(MARIA, "quiero una cita", wamid="wamid.after-terminate"))).status_code == 200:
            break
        await asyncio.sleep(0.5)
    rows = await settled(conn, 2, within=30)

    assert [r["status"] for r in rows] == ["answered", "answered"]
    assert len(graph.delivered_to(MARIA)) == 2
