"""deploy/n8n/notifications.json run for real: the notification service (NOTIFICATIONS_SENDER=n8n) sends a reminder
through real n8n 1.x (installed into .cache/n8n by `make test-e2e`) to the fake Graph API, on real Postgres with a
clock the test sets; and the webhook, public like every n8n webhook, sends nothing for anyone without the token."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from notifications.senders import N8nSender, SendError
from notifications.service import NotificationService
from notifications.settings import NotificationSettings
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.e2e.n8n import WORKFLOWS, running_n8n
from tests.notifications.support import SetClock, add_patient, book, reminders, seed_doctor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

TOKEN = "e2e-notifications-token-of-some-length"
GRAPH_TOKEN = "e2e-graph-token"
PHONE_NUMBER_ID = "106540352242922"
LA_PAZ = ZoneInfo("America/La_Paz")


@dataclass
class N8n:
    url: str
    graph: FakeGraphApi

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhook/clinic-notifications"


@pytest.fixture(scope="module")
def n8n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[N8n]:
    """n8n with the notifications workflow active, sending to the fake Graph API."""
    with fake_graph_api() as graph:
        env = {
            # What the workflow reads with $env.
            "NOTIFICATIONS_WEBHOOK_TOKEN": TOKEN,
            "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_GRAPH_BASE_URL": graph.url,
        }
        with running_n8n(WORKFLOWS / "notifications.json", tmp_path_factory.mktemp("n8n"), env) as url:
            yield N8n(url, graph)


def settings(database_url: str, webhook: str) -> NotificationSettings:
    """The notification service told to send through n8n; everything else as deployed."""
    return NotificationSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NOTIFICATIONS_SENDER": "n8n",
            "N8N_NOTIFICATIONS_WEBHOOK_URL": webhook,
            "N8N_NOTIFICATIONS_TOKEN": TOKEN,
            "NOTIFICATIONS_HOST": "127.0.0.1",
            "NOTIFICATIONS_PORT": 0,
            "NOTIFICATIONS_TICK_SECONDS": 1,
            "JOB_RECOVER_EVERY_SECONDS": 1,
            "NOTIFICATIONS_SHUTDOWN_GRACE_SECONDS": 1,
        }
    )


async def test_a_reminder_goes_through_n8n_to_the_graph_api_once(
    n8n: N8n, database_url: str, runtime_database_url: str
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        doctor = await seed_doctor(conn)
        ana = await add_patient(conn, "+59170000001", "Ana Quispe")
        booked_at = datetime(2030, 3, 4, 9, tzinfo=LA_PAZ)
        appointment = await book(
            conn,
            patient_id=ana,
            doctor_id=doctor,
            starts_at=datetime(2030, 3, 6, 10, tzinfo=LA_PAZ),
            booked_at=booked_at,
        )
        before = len(n8n.graph.received)
        service = NotificationService(
            settings(runtime_database_url, n8n.webhook), clock=SetClock(datetime(2030, 3, 5, 10, 0, 30, tzinfo=LA_PAZ))
        )
        await service.start()
        try:
            deadline = asyncio.get_running_loop().time() + 60
            while (await reminders(conn)) != [(24, "sent", None, 1)]:
                assert asyncio.get_running_loop().time() < deadline, await reminders(conn)
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)  # two more ticks: nothing goes twice
        finally:
            await service.aclose()
        wamid = await conn.fetchval("SELECT sent_wamid FROM reminders")
    finally:
        await conn.close()

    # n8n sent it from the clinic's number with the Graph API token, exactly as the service built it.
    [sent] = n8n.graph.received[before:]
    assert sent.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent.headers["authorization"] == f"Bearer {GRAPH_TOKEN}"
    assert (sent.body["to"], sent.body["type"], sent.body["messaging_product"]) == (
        "59170000001",
        "template",
        "whatsapp",
    )
    template = sent.body["template"]
    assert (template["name"], template["language"]) == ("recordatorio_cita", {"code": "es"})
    body, *buttons = template["components"]
    assert [p["text"] for p in body["parameters"]] == [
        "Ana", "su cita", "la Dra. Lucía Vargas", "Pediatría", "miércoles 6 de marzo a las 10:00",
    ]  # fmt: skip
    assert [b["parameters"][0]["payload"] for b in buttons] == [
        f"confirm:{appointment}", f"change:{appointment}", f"cancel:{appointment}",
    ]  # fmt: skip
    # n8n answered with the Graph API's answer, so the service recorded WhatsApp's id of the message.
    assert wamid == f"wamid.fake-out-{before + 1}"


def template_message() -> dict[str, object]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "59170000009",
        "type": "template",
        "template": {"name": "recordatorio_cita", "language": {"code": "es"}, "components": []},
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-token-but-long-enough"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}],
    ids=["none", "wrong", "not bearer", "other header"],
)
def test_without_the_token_nothing_is_sent(n8n: N8n, headers: dict[str, str]) -> None:
    before = len(n8n.graph.received)
    answer = httpx.post(n8n.webhook, json=template_message(), headers=headers, timeout=30)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"
    assert len(n8n.graph.received) == before


def text_message(body: object = "Hola, le escribe el equipo de la clínica.") -> dict[str, object]:
    return {"messaging_product": "whatsapp", "to": "59170000009", "type": "text", "text": {"body": body}}


def test_only_template_and_text_messages_go_out_through_this_webhook(n8n: N8n) -> None:
    before = len(n8n.graph.received)
    refused = (
        {**template_message(), "to": "+591 7000 0009"},
        [template_message()],
        text_message(""),
        text_message(["Hola"]),
        {**text_message(), "type": "image"},
    )
    for body in refused:
        answer = httpx.post(n8n.webhook, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert answer.status_code == 422, answer.text
    assert len(n8n.graph.received) == before


def test_a_staff_messages_free_text_passes_through_as_it_came(n8n: N8n) -> None:
    before = len(n8n.graph.received)
    answer = httpx.post(n8n.webhook, json=text_message(), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    [sent] = n8n.graph.received[before:]
    assert sent.body == text_message()
    assert answer.json()["messages"][0]["id"] == f"wamid.fake-out-{before + 1}"


async def test_the_graph_apis_failures_reach_the_sender_as_retry_or_give_up(n8n: N8n) -> None:
    sender = N8nSender(n8n.webhook, timeout=30, token=TOKEN)
    try:
        assert (await sender.send(template_message())) == f"wamid.fake-out-{len(n8n.graph.received)}"
        for graph_status, retryable in ((503, True), (429, True), (400, False), (401, False)):
            n8n.graph.statuses.append(graph_status)
            with pytest.raises(SendError) as failed:
                await sender.send(template_message())
            assert failed.value.retryable is retryable, (graph_status, str(failed.value))
            assert failed.value.maybe_delivered is False
    finally:
        await sender.aclose()
