"""Reminders on real Postgres and a real (fake) Graph API server, in this process with a clock the test sets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from gateway.jobs import JobQueue
from notifications import callbacks
from notifications.delivery import QUEUE
from notifications.metrics import NotificationMetrics
from notifications.planning import QuietHours
from notifications.reminders import Reminders
from notifications.senders import N8nSender, Sender
from notifications.template import REMINDER_TEXT, render
from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.notifications.conftest import MakeSending
from tests.notifications.support import DOCTOR, PEDIATRICS, PHONE_NUMBER_ID, SetClock, add_patient, book, reminders

LA_PAZ = ZoneInfo("America/La_Paz")
MONDAY = datetime(2030, 3, 4, 9, tzinfo=LA_PAZ)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, second, tzinfo=LA_PAZ)


class Bench:
    """The reminder service on its own job queue; `step` ticks at the clock's time and runs what it queued."""

    def __init__(self, reminders: Reminders, queue: JobQueue, clock: SetClock, metrics: NotificationMetrics) -> None:
        self.reminders = reminders
        self.queue = queue
        self.clock = clock
        self.metrics = metrics

    async def step(self, now: datetime | None = None) -> None:
        if now is not None:
            self.clock.now = now
        await self.reminders.tick()
        await self.queue.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    def count(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "notifications_sent_total", {"kind": "reminder", "outcome": outcome}
        )
        return value or 0.0

    def lag(self) -> float | None:
        return self.metrics.registry.get_sample_value("notifications_queue_lag_seconds")


MakeBench = Callable[..., Awaitable[Bench]]


@pytest.fixture
def make_bench(make_sending: MakeSending) -> MakeBench:
    async def make(
        *,
        hours: tuple[int, ...] = (24,),
        retries: int = 3,
        sender: Sender | None = None,
        quiet: str = "21:00-08:00",
        send_timeout: float = 5,
        lease: float = 6,
    ) -> Bench:
        clock = SetClock(MONDAY)
        sending = await make_sending(clock, sender=sender, retries=retries, send_timeout=send_timeout, lease=lease)
        service = Reminders(
            sending,
            hours_before=hours,
            quiet=QuietHours.parse(quiet),
            tz=LA_PAZ,
            template="recordatorio_cita",
            language="es",
        )
        return Bench(service, sending.queue, clock, sending.metrics)

    return make


def expected_template(phone: str, name: str, when: str, appointment: uuid.UUID, reminder: int) -> dict[str, Any]:
    """The Cloud API's documented template request (shared/notes/whatsapp-cloud-api.md)."""

    def button(index: int, action: str) -> dict[str, Any]:
        payload = {"type": "payload", "payload": f"{action}:{appointment}"}
        return {"type": "button", "sub_type": "quick_reply", "index": str(index), "parameters": [payload]}

    body = [{"type": "text", "text": text} for text in (name, "su cita", f"la {DOCTOR}", PEDIATRICS, when)]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": phone,
        "type": "template",
        "template": {
            "name": "recordatorio_cita",
            "language": {"code": "es"},
            "components": [
                {"type": "body", "parameters": body},
                button(0, "confirm"),
                button(1, "change"),
                button(2, "cancel"),
            ],
        },
        # Echoed in Meta's status callbacks, which the gateway's webhook records (notifications.callbacks).
        "biz_opaque_callback_data": f"clinic-reminder:{reminder}",
    }


async def test_a_reminder_goes_once_at_its_time_as_the_documented_template(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    ana = await add_patient(conn, "+59170000001", "Ana María Quispe")
    appointment = await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10, 30), booked_at=MONDAY)

    await bench.step(at(5, 10, 29))
    assert graph.received == []
    assert await reminders(conn) == [(24, "pending", None, 0)]
    bench.clock.now = at(5, 10, 30, 5)
    await bench.reminders.measure_lag()
    assert bench.lag() == 5  # due 5 s ago, not sent yet

    await bench.step(at(5, 10, 30))
    await bench.step(at(5, 10, 31))
    await bench.step(at(5, 12))

    [sent] = graph.received
    assert sent.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent.headers["authorization"] == "Bearer test-token"
    reminder = await conn.fetchval("SELECT id FROM reminders")
    assert sent.body == expected_template(
        "59170000001", "Ana", "miércoles 6 de marzo a las 10:30", appointment, reminder
    )
    assert await reminders(conn) == [(24, "sent", None, 1)]
    assert await conn.fetchval("SELECT sent_wamid FROM reminders") == "wamid.fake-out-1"
    assert bench.count("sent") == 1
    assert bench.lag() == 0


async def test_the_n8n_sender_posts_the_same_template_to_its_webhook(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(
        sender=N8nSender(f"{graph.url}/webhook/notifications", timeout=5, token="a-token-of-16-chars")
    )
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    appointment = await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 15), booked_at=MONDAY)

    await bench.step(at(5, 15))

    [sent] = graph.received
    assert sent.path == "/webhook/notifications"
    assert sent.headers["authorization"] == "Bearer a-token-of-16-chars"  # n8n's webhooks are public
    reminder = await conn.fetchval("SELECT id FROM reminders")
    assert sent.body == expected_template(
        "59170000001", "Ana", "miércoles 6 de marzo a las 15:00", appointment, reminder
    )
    assert await reminders(conn) == [(24, "sent", None, 1)]


async def test_a_reminder_due_at_night_waits_for_the_morning(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(hours=(2,))
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 8, 30), booked_at=MONDAY)

    await bench.step(at(6, 6, 30))
    await bench.step(at(6, 7, 59))
    assert graph.received == []

    await bench.step(at(6, 8))
    assert len(graph.received) == 1
    assert await reminders(conn) == [(2, "sent", None, 1)]


async def test_a_cancelled_appointment_gets_nothing_and_a_moved_one_gets_its_reminder_at_the_new_time(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    luis = await add_patient(conn, "+59170000002", "Luis Mamani")
    cancelled = await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    moved = await book(conn, patient_id=luis, doctor_id=doctor, starts_at=at(6, 11), booked_at=MONDAY)
    await bench.step(at(4, 12))
    assert [r[1] for r in await reminders(conn)] == ["pending", "pending"]

    await conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $2, updated_at = $2 WHERE id = $1",
        cancelled,
        at(4, 13),
    )
    await conn.execute(
        """
        UPDATE appointments SET starts_at = $2::timestamptz, ends_at = $2::timestamptz + interval '30 minutes',
                                updated_at = $3
        WHERE id = $1
        """,
        moved,
        at(6, 16),
        at(4, 13),
    )
    await bench.step(at(5, 10))
    await bench.step(at(5, 11))
    assert graph.received == []
    assert await reminders(conn) == [
        (24, "dropped", "cancelled", 0),
        (24, "dropped", "moved", 0),
        (24, "pending", None, 0),
    ]

    await bench.step(at(5, 16))
    [sent] = graph.received
    assert sent.body["template"]["components"][0]["parameters"][4]["text"] == "miércoles 6 de marzo a las 16:00"
    assert bench.count("dropped") == 2


async def test_no_reminder_without_consent_and_a_family_member_is_reminded_on_the_holders_phone(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    never_asked = await add_patient(conn, "+59170000001", "Ana Quispe", consent=None)
    opted_out = await add_patient(conn, "+59170000002", "Luis Mamani", consent=False)
    mother = await add_patient(conn, "+59170000003", "Rosa López", consent=True)
    son = await add_patient(conn, None, "Mateo López", consent=None, holder_id=mother)
    for hour, patient in ((9, never_asked), (10, opted_out), (11, son)):
        await book(conn, patient_id=patient, doctor_id=doctor, starts_at=at(6, hour), booked_at=MONDAY)

    await bench.step(at(5, 12))

    [sent] = graph.received
    assert sent.to == "59170000003"
    # Rosa reads it: greeted by her name, told whose appointment it is (QA read "Hola, Mateo" on Rosa's phone).
    parameters = [p["text"] for p in sent.body["template"]["components"][0]["parameters"]]
    assert parameters[:2] == ["Rosa", "la cita de Mateo"]
    assert render(REMINDER_TEXT, parameters) == (
        f"Hola, Rosa. Le recordamos la cita de Mateo con la {DOCTOR} ({PEDIATRICS}) el miércoles 6 de marzo a las "
        "11:00. Puede confirmarla, cambiarla o cancelarla con los botones de abajo."
    )
    assert await reminders(conn) == [
        (24, "skipped", "no_consent", 0),
        (24, "skipped", "no_consent", 0),
        (24, "sent", None, 1),
    ]


async def test_an_appointment_booked_inside_the_horizon_gets_only_the_reminders_still_ahead(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(hours=(24, 2))
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 15), booked_at=at(6, 10))

    await bench.step(at(6, 10, 1))
    await bench.step(at(6, 13))

    assert len(graph.received) == 1
    assert await reminders(conn) == [(24, "skipped", "booked_late", 0), (2, "sent", None, 1)]


async def until_finished(bench: Bench, conn: asyncpg.Connection, within: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while await conn.fetchval("SELECT count(*) FROM reminders WHERE status = 'pending'"):
        assert asyncio.get_running_loop().time() < deadline, await reminders(conn)
        await asyncio.sleep(0.05)
        await bench.step()


async def test_a_failing_send_is_retried_with_backoff_then_marked_failed(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(retries=2)
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    graph.status = 503

    await bench.step(at(5, 10))
    await until_finished(bench, conn)

    assert [s.status for s in graph.received] == [503, 503, 503]
    assert await reminders(conn) == [(24, "failed", "send_failed", 3)]
    assert "answered 503" in await conn.fetchval("SELECT last_error FROM reminders")
    assert (bench.count("retried"), bench.count("failed"), bench.count("sent")) == (2, 1, 0)


async def test_a_send_that_fails_once_is_sent_once_by_the_retry(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(retries=2)
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    graph.statuses = [500]

    await bench.step(at(5, 10))
    await until_finished(bench, conn)

    assert [s.status for s in graph.received] == [500, 200]
    assert await reminders(conn) == [(24, "sent", None, 2)]


async def test_a_refusal_no_retry_can_change_fails_at_once(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(retries=5)
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    graph.status = 400

    await bench.step(at(5, 10))
    await until_finished(bench, conn)

    assert len(graph.received) == 1
    assert await reminders(conn) == [(24, "failed", "send_refused", 1)]


async def test_a_post_that_timed_out_after_whatsapp_took_it_is_not_posted_again_once_meta_reports_it_sent(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(send_timeout=0.3, lease=1.0)
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    graph.delays = [1.0]  # taken, answered too late

    await bench.step(at(5, 10))
    [sent] = graph.received
    assert await reminders(conn) == [(24, "pending", None, 1)]
    await bench.step()
    assert len(graph.received) == 1  # claimed: the callback grace runs

    # The gateway's webhook gets Meta's `sent` callback, echoing the data the reminder was sent with.
    assert await callbacks.record_sent(conn, data=sent.body["biz_opaque_callback_data"], wamid="wamid.meta-1")
    await asyncio.sleep(1.1)
    await until_finished(bench, conn)
    await bench.step()

    assert len(graph.received) == 1
    assert await reminders(conn) == [(24, "sent", None, 1)]
    assert await conn.fetchval("SELECT sent_wamid FROM reminders") == "wamid.meta-1"


async def test_a_post_that_timed_out_with_no_report_is_posted_again_after_the_grace(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(send_timeout=0.3, lease=0.6)
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    graph.statuses, graph.delays = [503], [1.0]  # refused, and too late to tell

    await bench.step(at(5, 10))
    await until_finished(bench, conn)

    assert [s.status for s in graph.received] == [503, 200]
    assert await reminders(conn) == [(24, "sent", None, 2)]


async def test_callback_data_naming_no_reminder_records_nothing(conn: asyncpg.Connection) -> None:
    for data in (None, "clinic-outbox:1", "clinic-reminder:", "clinic-reminder:x1", "clinic-reminder:99"):
        assert not await callbacks.record_sent(conn, data=data, wamid="wamid.x")


async def test_an_appointment_moved_away_and_back_is_reminded_once_at_its_start(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    appointment = await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    move = """
        UPDATE appointments SET starts_at = $2::timestamptz, ends_at = $2::timestamptz + interval '30 minutes',
                                updated_at = $3
        WHERE id = $1
    """

    await bench.step(at(4, 12))
    await conn.execute(move, appointment, at(5, 16), at(4, 13))
    await bench.step(at(4, 14))
    assert await reminders(conn) == [(24, "pending", None, 0), (24, "dropped", "moved", 0)]
    await conn.execute(move, appointment, at(6, 10), at(4, 14, 30))
    await bench.step(at(4, 15))
    await bench.step(at(4, 16))
    await bench.step(at(5, 10))

    [sent] = graph.received
    assert sent.body["template"]["components"][0]["parameters"][4]["text"] == "miércoles 6 de marzo a las 10:00"
    assert await reminders(conn) == [(24, "dropped", "moved", 0), (24, "sent", None, 1)]


async def test_an_appointment_cancelled_after_its_reminder_was_queued_gets_nothing(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    appointment = await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    bench.clock.now = at(5, 10)
    assert await bench.reminders.tick() == 1

    await conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = now(), updated_at = now() WHERE id = $1",
        appointment,
    )
    await bench.queue.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    assert graph.received == []
    assert await reminders(conn) == [(24, "dropped", "cancelled", 0)]


async def test_an_n8n_webhook_that_refuses_the_request_fails_the_reminder_at_once(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench(sender=N8nSender(f"{graph.url}/webhook/notifications", timeout=5))
    ana = await add_patient(conn, "+59170000001", "Ana Quispe")
    await book(conn, patient_id=ana, doctor_id=doctor, starts_at=at(6, 10), booked_at=MONDAY)
    graph.status = 404  # a workflow not active

    await bench.step(at(5, 10))
    await until_finished(bench, conn)

    assert len(graph.received) == 1
    assert await reminders(conn) == [(24, "failed", "send_refused", 1)]
    assert "n8n answered 404" in await conn.fetchval("SELECT last_error FROM reminders")
