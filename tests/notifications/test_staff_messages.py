"""Staff messages on real Postgres and the fake Graph API, with a clock the test sets: queued by the gateway's outbox,
sent once by the notification service, as free text within the patient's 24-hour window and as the approved
template past it, through either sender."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from gateway.console import outbox
from gateway.jobs import JobQueue
from notifications import callbacks
from notifications.delivery import QUEUE
from notifications.metrics import NotificationMetrics
from notifications.senders import N8nSender, Sender
from notifications.staff_messages import StaffMessages
from notifications.template import CANCELLATION_TEXT, STAFF_REPLY_TEXT, render
from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.notifications.conftest import MakeSending
from tests.notifications.support import DOCTOR, SetClock, add_patient, book

LA_PAZ = ZoneInfo("America/La_Paz")
NOW = datetime(2030, 3, 4, 9, tzinfo=LA_PAZ)
ANA_PHONE = "+59170000001"


class Bench:
    """The staff-message sender on its own job queue; `step` ticks and runs what is queued."""

    def __init__(self, service: StaffMessages, queue: JobQueue, metrics: NotificationMetrics) -> None:
        self.service = service
        self.queue = queue
        self.metrics = metrics

    async def run_jobs(self) -> None:
        await self.queue.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    async def step(self) -> None:
        await self.service.tick()
        await self.run_jobs()

    def count(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "notifications_sent_total", {"kind": "staff_message", "outcome": outcome}
        )
        return value or 0.0


MakeBench = Callable[..., Awaitable[Bench]]


@pytest.fixture
def make_bench(make_sending: MakeSending) -> MakeBench:
    async def make(*, sender: Sender | None = None, retries: int = 3) -> Bench:
        sending = await make_sending(SetClock(NOW), sender=sender, retries=retries)
        service = StaffMessages(
            sending,
            tz=LA_PAZ,
            reply_template="respuesta_equipo",
            cancellation_template="cita_cancelada_clinica",
            language="es",
        )
        return Bench(service, sending.queue, sending.metrics)

    return make


async def staff_user(conn: asyncpg.Connection) -> int:
    user: int = await conn.fetchval(
        """
        INSERT INTO staff_users (email, full_name, role, password_hash)
        VALUES ('ana@clinica.bo', 'Ana Pérez', 'recepcion', '$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA')
        RETURNING id
        """
    )
    return user


async def conversation(conn: asyncpg.Connection, phone: str, *, wrote_at: datetime | None) -> UUID:
    """A WhatsApp conversation of `phone`, whose patient last wrote at `wrote_at` (None: never)."""
    conversation_id: UUID = await conn.fetchval(
        "INSERT INTO conversations (user_phone, vouched_by, channel) VALUES ($1, 'whatsapp:1', 'whatsapp') "
        "RETURNING id",
        phone,
    )
    if wrote_at is not None:
        await conn.execute(
            """
            INSERT INTO messages (conversation_id, user_phone, role, content, created_at)
            VALUES ($1, $2, 'user', 'Quiero hablar con una persona', $3)
            """,
            conversation_id,
            phone,
            wrote_at,
        )
    return conversation_id


async def status(conn: asyncpg.Connection) -> list[tuple[str, str | None, int]]:
    rows = await conn.fetch("SELECT status, reason, attempts FROM staff_messages ORDER BY id")
    return [(r["status"], r["reason"], r["attempts"]) for r in rows]


async def until_settled(bench: Bench, conn: asyncpg.Connection) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while any(s == "pending" for s, _, _ in await status(conn)):
        assert asyncio.get_running_loop().time() < deadline, await status(conn)
        await asyncio.sleep(0.05)
        await bench.step()


def text_body(phone: str, body: str, row: int) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": phone,
        "type": "text",
        "text": {"preview_url": False, "body": body},
        "biz_opaque_callback_data": f"clinic-staff:{row}",
    }


def template_body(phone: str, name: str, parameters: list[str], row: int) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": phone,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": "es"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
        "biz_opaque_callback_data": f"clinic-staff:{row}",
    }


async def test_a_reply_inside_the_window_goes_once_as_the_text_staff_wrote(
    make_bench: MakeBench, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    user = await staff_user(conn)
    chat = await conversation(conn, ANA_PHONE, wrote_at=NOW - timedelta(hours=23))
    reply = "  Hola Ana, soy Ana de recepción.\nSu resultado ya está listo.  "

    queued = await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text=reply, now=NOW)
    await bench.step()
    await bench.step()  # a second run sends nothing more

    assert queued.as_template is False and queued.purpose == "reply"
    [sent] = graph.received
    assert sent.body == text_body("59170000001", reply.strip(), queued.id)
    assert await status(conn) == [("sent", None, 1)]
    assert await conn.fetchval("SELECT sent_wamid FROM staff_messages") == "wamid.fake-out-1"
    stored = await conn.fetchrow("SELECT role, content, staff_user_id FROM messages WHERE id = $1", queued.message_id)
    assert stored is not None and tuple(stored) == ("staff", reply.strip(), user)
    assert bench.count("sent") == 1


async def test_a_reply_past_the_window_goes_as_the_approved_template_with_its_text_flattened(
    make_bench: MakeBench, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    user = await staff_user(conn)
    chat = await conversation(conn, ANA_PHONE, wrote_at=NOW - timedelta(hours=25))

    queued = await outbox.queue_reply(
        conn, staff_user_id=user, conversation_id=chat, text="Hola Ana:\n\n\tsu cita     quedó lista.", now=NOW
    )
    await bench.step()

    assert queued.as_template is True
    [sent] = graph.received
    # Meta refuses newlines, tabs and more than four spaces in a row in a parameter.
    assert sent.body == template_body("59170000001", "respuesta_equipo", ["Hola Ana: su cita quedó lista."], queued.id)
    assert render(STAFF_REPLY_TEXT, ["Hola Ana: su cita quedó lista."]).startswith("Hola, le escribe el equipo")


async def test_a_cancellation_notice_names_the_doctor_day_and_reason_and_a_family_members_whom_it_was_for(
    make_bench: MakeBench, conn: asyncpg.Connection, doctor: int, graph: FakeGraphApi
) -> None:
    bench = await make_bench()
    user = await staff_user(conn)
    ana = await add_patient(conn, ANA_PHONE, "Ana María Quispe", consent=None)  # no consent asked: it is hers
    rosa = await add_patient(conn, "+59170000003", "Rosa López")
    mateo = await add_patient(conn, None, "Mateo López", consent=None, holder_id=rosa)
    await conversation(conn, ANA_PHONE, wrote_at=NOW - timedelta(hours=2))  # Ana wrote today; Rosa did not
    own = await book(conn, patient_id=ana, doctor_id=doctor, starts_at=datetime(2030, 3, 11, 14, 30, tzinfo=LA_PAZ),
                     booked_at=NOW)  # fmt: skip
    sons = await book(conn, patient_id=mateo, doctor_id=doctor, starts_at=datetime(2030, 3, 12, 10, tzinfo=LA_PAZ),
                      booked_at=NOW)  # fmt: skip

    first = await outbox.queue_cancellation_notice(
        conn, appointment_id=own, reason="la doctora tiene una emergencia.", staff_user_id=user, now=NOW
    )
    second = await outbox.queue_cancellation_notice(
        conn, appointment_id=sons, reason="la doctora\nestá de viaje", staff_user_id=user, now=NOW
    )
    await bench.step()

    assert (first.as_template, second.as_template) == (False, True)
    by_phone = {s.body["to"]: s.body for s in graph.received}
    assert by_phone["59170000001"] == text_body(
        "59170000001",
        f"Hola, Ana. La clínica tuvo que cancelar su cita con la {DOCTOR} del lunes 11 de marzo a las 14:30. "
        "Motivo: la doctora tiene una emergencia. Disculpe las molestias; si desea otra fecha, escríbanos por aquí "
        "y le ayudamos.",
        first.id,
    )
    parameters = [
        "Rosa",
        "la cita de Mateo",
        f"la {DOCTOR}",
        "martes 12 de marzo a las 10:00",
        "la doctora está de viaje",
    ]
    assert by_phone["59170000003"] == template_body("59170000003", "cita_cancelada_clinica", parameters, second.id)
    assert render(CANCELLATION_TEXT, parameters).startswith("Hola, Rosa. La clínica tuvo que cancelar la cita de Mateo")
    assert await status(conn) == [("sent", None, 1), ("sent", None, 1)]


async def test_two_service_copies_send_each_message_once(
    make_bench: MakeBench, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    one, two = await make_bench(), await make_bench()
    user = await staff_user(conn)
    chats = [await conversation(conn, f"+5917000001{i}", wrote_at=NOW - timedelta(hours=1)) for i in range(5)]
    for chat in chats:
        await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Buenos días", now=NOW)

    await asyncio.gather(one.step(), two.step())
    await asyncio.gather(one.step(), two.step())

    assert sorted(s.body["to"] for s in graph.received) == [f"5917000001{i}" for i in range(5)]
    assert await status(conn) == [("sent", None, 1)] * 5


async def test_the_gateways_deferral_sends_at_once_and_a_lost_one_is_picked_up_by_the_tick(
    make_bench: MakeBench, conn: asyncpg.Connection, graph: FakeGraphApi, runtime_database_url: str
) -> None:
    bench = await make_bench()
    user = await staff_user(conn)
    chat = await conversation(conn, ANA_PHONE, wrote_at=NOW - timedelta(hours=1))
    gateway_jobs = JobQueue(
        runtime_database_url, concurrency=1, lease_seconds=5, recover_every_seconds=1, grace_seconds=1
    )
    await gateway_jobs.app.open_async()
    try:
        deferred = await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Uno", now=NOW)
        await outbox.send_now(gateway_jobs, deferred)
        await outbox.send_now(gateway_jobs, deferred)  # its job waits already: nothing more
        await bench.run_jobs()  # no tick: the gateway's job alone sends it
        assert [s.body["text"]["body"] for s in graph.received] == ["Uno"]

        lost = await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Dos", now=NOW)
        await bench.run_jobs()
        assert len(graph.received) == 1  # the gateway died before deferring it
        await bench.step()
    finally:
        await gateway_jobs.app.close_async()

    assert [s.body["text"]["body"] for s in graph.received] == ["Uno", "Dos"]
    assert await status(conn) == [("sent", None, 1), ("sent", None, 1)]
    assert lost.id > deferred.id


async def test_a_failed_post_is_retried_and_one_that_keeps_failing_is_given_up(
    make_bench: MakeBench, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    bench = await make_bench(retries=2)
    user = await staff_user(conn)
    chat = await conversation(conn, ANA_PHONE, wrote_at=NOW - timedelta(hours=1))
    graph.statuses = [503]
    await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Primero", now=NOW)
    await bench.step()
    await until_settled(bench, conn)
    assert [s.status for s in graph.received] == [503, 200]
    assert await status(conn) == [("sent", None, 2)]

    graph.status = 503
    await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Segundo", now=NOW)
    await bench.step()
    await until_settled(bench, conn)

    assert [s.status for s in graph.received] == [503, 200, 503, 503, 503]
    assert (await status(conn))[1] == ("failed", "send_failed", 3)
    assert (bench.count("retried"), bench.count("failed"), bench.count("sent")) == (3, 1, 1)


async def test_the_n8n_sender_posts_the_text_message_to_its_webhook(
    make_bench: MakeBench, conn: asyncpg.Connection, graph: FakeGraphApi
) -> None:
    bench = await make_bench(
        sender=N8nSender(f"{graph.url}/webhook/notifications", timeout=5, token="a-token-of-16-chars")
    )
    user = await staff_user(conn)
    chat = await conversation(conn, ANA_PHONE, wrote_at=NOW - timedelta(hours=1))
    queued = await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Hola", now=NOW)

    await bench.step()

    [sent] = graph.received
    assert sent.path == "/webhook/notifications"
    assert sent.body == text_body("59170000001", "Hola", queued.id)
    assert await status(conn) == [("sent", None, 1)]


async def test_metas_sent_callback_records_a_staff_message_sent(conn: asyncpg.Connection) -> None:
    user = await staff_user(conn)
    chat = await conversation(conn, ANA_PHONE, wrote_at=None)
    queued = await outbox.queue_reply(conn, staff_user_id=user, conversation_id=chat, text="Hola", now=NOW)
    data = callbacks.staff_message_callback_data(queued.id)

    assert callbacks.is_notification(data)
    assert await callbacks.record_sent(conn, data=data, wamid="wamid.meta-1")
    assert not await callbacks.record_sent(conn, data=data, wamid="wamid.meta-1")  # not news the second time
    assert await conn.fetchval("SELECT sent_wamid FROM staff_messages") == "wamid.meta-1"
    assert not callbacks.is_notification("clinic-staff:x")
