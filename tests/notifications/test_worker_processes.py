"""`python -m notifications` as real processes on the real clock: copies racing, a copy killed mid-batch."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.notifications.support import add_patient, book, seed_doctor
from tests.support.services import free_port, serving_process


def worker_env(database_url: str, graph: FakeGraphApi, *, concurrency: int) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "NOTIFICATIONS_SENDER": "whatsapp",
        "WHATSAPP_ACCESS_TOKEN": "test-token",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_GRAPH_BASE_URL": graph.url,
        "WHATSAPP_TIMEOUT_SECONDS": "5",
        "WHATSAPP_CALLBACK_GRACE_SECONDS": "1",
        "REMINDER_HOURS_BEFORE": "24",
        # The real clock may be at night in La Paz: these tests are about copies, not about quiet hours.
        "QUIET_HOURS": "",
        "NOTIFICATIONS_TICK_SECONDS": "1",
        "NOTIFICATIONS_RETRY_FIRST_SECONDS": "0.2",
        "JOB_CONCURRENCY": str(concurrency),
        "JOB_LEASE_SECONDS": "2",
        "JOB_RECOVER_EVERY_SECONDS": "1",
        "NOTIFICATIONS_SHUTDOWN_GRACE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def worker(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A notification process, once its /health answers 200; stopped with SIGTERM after the block."""
    port = free_port()
    command = [sys.executable, "-m", "notifications"]
    with serving_process(command, {**env, "NOTIFICATIONS_PORT": str(port)}, port=port, what="notification worker") as w:
        yield w


async def due_reminders(conn: asyncpg.Connection, count: int) -> list[str]:
    """`count` consenting patients, each with an appointment whose 24 h reminder is due now; their wa_ids."""
    doctor = await seed_doctor(conn)
    now = datetime.now(UTC)
    wa_ids: list[str] = []
    for n in range(count):
        phone = f"+5917100{n:04d}"
        patient = await add_patient(conn, phone, f"Paciente{n} Prueba")
        # Half an hour apart (one doctor): each 24 h reminder came due within the last hours.
        starts = now + timedelta(hours=24, seconds=-30) - timedelta(minutes=30 * n)
        await book(conn, patient_id=patient, doctor_id=doctor, starts_at=starts, booked_at=now - timedelta(days=3))
        wa_ids.append(phone.removeprefix("+"))
    return wa_ids


def wait_delivered(graph: FakeGraphApi, wa_ids: list[str], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while any(not graph.delivered_to(w) for w in wa_ids):
        assert time.monotonic() < deadline, f"delivered: {[len(graph.delivered_to(w)) for w in wa_ids]}"
        time.sleep(0.1)


async def test_two_copies_racing_over_the_same_due_reminders_send_each_once(
    runtime_database_url: str, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    wa_ids = await due_reminders(conn, 12)
    graph.delays = [0.2] * 12  # slow answers, so both copies are mid-send at once
    env = worker_env(runtime_database_url, graph, concurrency=4)

    with worker(env) as (url, first), worker(env) as (_, second):
        wait_delivered(graph, wa_ids)
        await asyncio.sleep(2.5)  # ticks of both copies after the last send: none sends it again
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"{url}/metrics", timeout=5)).text
        assert 'notifications_sent_total{kind="reminder",outcome="sent"}' in metrics
        assert "notifications_queue_lag_seconds" in metrics
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0  # a graceful stop

    assert first.returncode == 0
    assert [len(graph.sent_to(w)) for w in wa_ids] == [1] * 12
    rows = await conn.fetch("SELECT status, attempts FROM reminders")
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)] * 12


async def test_a_copy_killed_mid_batch_and_restarted_loses_nothing_and_sends_nothing_twice(
    runtime_database_url: str, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    wa_ids = await due_reminders(conn, 6)
    # The third post hangs, then is refused: the copy is killed while it is in flight.
    graph.statuses = [200, 200, 503]
    graph.delays = [0, 0, 3.0]
    env = worker_env(runtime_database_url, graph, concurrency=1)

    with worker(env) as (_, first):
        deadline = time.monotonic() + 30
        while len(graph.received) < 3:
            assert time.monotonic() < deadline, graph.received
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert await conn.fetchval("SELECT count(*) FROM reminders WHERE status = 'sent'") == 2
    in_flight = graph.received[2].to

    with worker(env):
        wait_delivered(graph, wa_ids)
        await asyncio.sleep(2)

    assert [len(graph.delivered_to(w)) for w in wa_ids] == [1] * 6
    assert [s.status for s in graph.sent_to(in_flight)] == [503, 200]
    rows = await conn.fetch("SELECT status FROM reminders")
    assert [r["status"] for r in rows] == ["sent"] * 6
