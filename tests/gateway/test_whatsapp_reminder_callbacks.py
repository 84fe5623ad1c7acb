"""Meta's `sent` status callback for a reminder or a waitlist offer (notifications/) reaches the gateway's webhook,
which records it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from appointments.demo import seed_demo_clinic
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.gateway.test_whatsapp import MARIA, deliver, envelope, whatsapp_settings
from tests.support.gateway import MakeClient


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


async def pending_reminder(conn: asyncpg.Connection) -> int:
    """María's appointment tomorrow and its reminder, claimed by a post whose answer was lost."""
    await seed_demo_clinic(conn)
    appointment = await conn.fetchval(
        """
        INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, created_by)
        SELECT p.id, d.id, now() + interval '1 day', now() + interval '1 day 30 minutes', 'patient'
        FROM patients p, doctors d WHERE p.phone = '+59170000001' ORDER BY d.id LIMIT 1
        RETURNING id
        """
    )
    reminder: int = await conn.fetchval(
        """
        INSERT INTO reminders (appointment_id, hours_before, planned_start, due_at, attempts, claimed_until)
        SELECT id, 24, starts_at, now(), 1, now() + interval '1 minute' FROM appointments WHERE id = $1
        RETURNING id
        """,
        appointment,
    )
    return reminder


def sent_report(data: str, wamid: str = "wamid.reminder-1") -> dict[str, object]:
    status = {
        "id": wamid,
        "status": "sent",
        "timestamp": str(int(time.time())),
        "recipient_id": MARIA,
        "biz_opaque_callback_data": data,
    }
    return envelope({"statuses": [status]})


async def test_a_reminders_sent_callback_records_it_sent_and_sends_nothing(
    make_client: MakeClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    reminder = await pending_reminder(conn)
    webhook: httpx.AsyncClient = await make_client(**whatsapp_settings(graph))

    assert (await deliver(webhook, sent_report(f"clinic-reminder:{reminder}"))).status_code == 200
    assert (await deliver(webhook, sent_report("clinic-reminder:999999"))).status_code == 200

    row = await conn.fetchrow("SELECT status, sent_wamid, claimed_until FROM reminders WHERE id = $1", reminder)
    assert row is not None
    assert (row["status"], row["sent_wamid"], row["claimed_until"]) == ("sent", "wamid.reminder-1", None)
    assert graph.received == []


async def test_a_waitlist_offers_sent_callback_records_it_sent_and_sends_nothing(
    make_client: MakeClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await seed_demo_clinic(conn)
    offer = await conn.fetchval(
        """
        WITH entry AS (
            INSERT INTO waitlist_entries (patient_id, doctor_id, specialty_id, first_day, last_day)
            SELECT p.id, d.id, d.specialty_id, current_date, current_date + 7
            FROM patients p, doctors d WHERE p.phone = '+59170000001' ORDER BY d.id LIMIT 1
            RETURNING id, doctor_id
        )
        INSERT INTO waitlist_offers (entry_id, doctor_id, starts_at, ends_at, offered_at, hold_until, attempts,
                                     claimed_until)
        SELECT id, doctor_id, now() + interval '1 day', now() + interval '1 day 30 minutes', now(),
               now() + interval '30 minutes', 1, now() + interval '1 minute'
        FROM entry RETURNING id
        """
    )
    webhook: httpx.AsyncClient = await make_client(**whatsapp_settings(graph))

    assert (await deliver(webhook, sent_report(f"clinic-waitlist:{offer}", "wamid.offer-1"))).status_code == 200

    row = await conn.fetchrow("SELECT status, sent_wamid, claimed_until FROM waitlist_offers WHERE id = $1", offer)
    assert row is not None
    assert (row["status"], row["sent_wamid"], row["claimed_until"]) == ("offered", "wamid.offer-1", None)
    assert graph.received == []
