"""The WhatsApp Cloud API webhook on real Postgres, Redis and inference, answering through a fake Graph API."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from appointments import booking, demo, repository
from appointments.availability import free_slots
from appointments.demo import seed_demo_clinic
from gateway.app import create_app
from gateway.conversation import replies as conversation_replies
from gateway.conversation.reply import Option
from gateway.whatsapp import replies
from gateway.whatsapp.client import reply_messages, split_text
from gateway.whatsapp.payloads import WebhookPayload, inbound_messages
from gateway.whatsapp.signature import sign
from tests.e2e.fake_whatsapp import FakeGraphApi, Sent, fake_graph_api
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.chat import ChatPatient
from tests.support.gateway import MakeClient, gateway_settings
from tests.support.services import InferenceProcess

VERIFY_TOKEN = "test-verify-token"
APP_SECRET = "test-app-secret"
ACCESS_TOKEN = "test-access-token"
PHONE_NUMBER_ID = "106540352242922"
MARIA = "59170000001"  # demo patient María Fernanda López, as WhatsApp writes her number
_wamids = itertools.count(1)


def whatsapp_settings(graph: FakeGraphApi) -> dict[str, Any]:
    return {
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_GRAPH_BASE_URL": graph.url,
        # Retries, leases and recovery in tenths of seconds rather than seconds, so failures settle quickly.
        "WHATSAPP_RETRIES": 2,
        "WHATSAPP_RETRY_FIRST_SECONDS": 0.2,
        "WHATSAPP_CALLBACK_GRACE_SECONDS": 0.5,
        "JOB_LEASE_SECONDS": 1.5,
        "JOB_RECOVER_EVERY_SECONDS": 1,
    }


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """A webhook call as Meta sends it, around one change's `value`."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "59122001122", "phone_number_id": PHONE_NUMBER_ID},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


def message(sender: str, kind: str, content: dict[str, Any], wamid: str | None = None) -> dict[str, Any]:
    wamid = wamid or f"wamid.test-{next(_wamids)}-{time.monotonic_ns()}"
    return envelope(
        {
            "contacts": [{"profile": {"name": "María"}, "wa_id": sender}],
            "messages": [
                {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": kind, kind: content}
            ],
        }
    )


def text(sender: str, body: str, wamid: str | None = None) -> dict[str, Any]:
    return message(sender, "text", {"body": body}, wamid)


def tapped(sender: str, option_id: str, title: str, kind: str = "button_reply") -> dict[str, Any]:
    return message(sender, "interactive", {"type": kind, kind: {"id": option_id, "title": title}})


def status_callback(recipient: str) -> dict[str, Any]:
    status = {
        "id": "wamid.ours-1",
        "status": "delivered",
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    return envelope({"statuses": [status]})


async def deliver(client: httpx.AsyncClient, payload: dict[str, Any], secret: str = APP_SECRET) -> httpx.Response:
    """POST the payload as Meta does: raw JSON bytes signed with the app secret."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret.encode())}
    return await client.post("/webhooks/whatsapp", content=body, headers=headers)


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


async def inbound_rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT wamid, wa_id, message_type, status, error FROM whatsapp_inbound ORDER BY id")


async def settled(conn: asyncpg.Connection, count: int, within: float = 30) -> list[asyncpg.Record]:
    """The inbound rows once `count` of them are no longer being answered."""
    deadline = time.monotonic() + within
    while True:
        rows = await inbound_rows(conn)
        if sum(r["status"] != "received" for r in rows) >= count:
            return rows
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.05)


async def user_messages(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT content FROM messages WHERE role = 'user' ORDER BY id")
    return [r["content"] for r in rows]


# --- the handshake and the signature -------------------------------------------------------------------------


async def test_subscription_handshake_echoes_the_challenge(webhook: httpx.AsyncClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = await webhook.get("/webhooks/whatsapp", params=params)

    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
async def test_subscription_handshake_with_a_wrong_token_or_mode_is_forbidden(
    webhook: httpx.AsyncClient, params: dict[str, str]
) -> None:
    answer = await webhook.get("/webhooks/whatsapp", params=params)

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


async def test_unsigned_or_wrongly_signed_deliveries_are_refused(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    payload = text(MARIA, "Hola")
    body = json.dumps(payload).encode()

    unsigned = await webhook.post("/webhooks/whatsapp", content=body)
    wrong_secret = await deliver(webhook, payload, secret="not-the-app-secret")
    other_bytes = await webhook.post(
        "/webhooks/whatsapp",
        content=body + b" ",
        headers={"X-Hub-Signature-256": sign(body, APP_SECRET.encode())},
    )
    garbage = await webhook.post("/webhooks/whatsapp", content=body, headers={"X-Hub-Signature-256": "sha256=zz"})

    for answer in (unsigned, wrong_secret, other_bytes, garbage):
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"
    assert await inbound_rows(conn) == []
    assert graph.received == []


async def test_webhook_answers_503_until_whatsapp_is_configured(make_client: MakeClient) -> None:
    client = await make_client()
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}

    handshake = await client.get("/webhooks/whatsapp", params=params)
    delivery = await deliver(client, text(MARIA, "Hola"), secret="")

    for answer in (handshake, delivery):
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "whatsapp_not_configured"


# --- answering ---------------------------------------------------------------------------------------------------


async def test_text_message_is_answered_in_spanish_in_the_background(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    answer = await deliver(webhook, text(MARIA, "Hola, quiero una cita con pediatría"))

    assert answer.status_code == 200
    assert answer.json() == {"received": 1, "accepted": 1}
    [reply] = await graph.await_for(1, MARIA)
    assert reply.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert reply.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert reply.body["messaging_product"] == "whatsapp"
    assert reply.body["type"] == "text"
    assert "fecha de nacimiento" in reply.text
    [row] = await settled(conn, 1)
    assert (row["wa_id"], row["message_type"], row["status"]) == (MARIA, "text", "answered")
    conversation = await conn.fetchrow("SELECT user_phone, channel FROM conversations")
    assert dict(conversation) == {"user_phone": f"+{MARIA}", "channel": "whatsapp"}
    assert await user_messages(conn) == ["Hola, quiero una cita con pediatría"]


async def test_a_text_over_the_length_limit_is_answered_asking_for_a_shorter_one(
    make_client: MakeClient, graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    webhook = await make_client(MAX_MESSAGE_CHARS=40, **whatsapp_settings(graph))

    await deliver(webhook, text(MARIA, "Hola, quiero una cita con pediatría para el sábado en la mañana"))

    [reply] = await graph.await_for(1, MARIA)
    assert reply.text == conversation_replies.MESSAGE_TOO_LONG
    [row] = await settled(conn, 1)
    assert row["status"] == "answered"
    assert await user_messages(conn) == ["Hola, quiero una cita con pediatría para"]


async def test_meta_retrying_a_message_gets_it_answered_once(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    payload = text(MARIA, "quiero una cita", wamid="wamid.HBgLNTkxNzAwMDAwMDAxFQIAEhgUM0FCQzEyMzQ1Njc4OTBBQkNERUYA")

    first = await deliver(webhook, payload)
    retry = await deliver(webhook, payload)
    await graph.await_for(1, MARIA)
    late_retry = await deliver(webhook, payload)

    assert [a.json()["accepted"] for a in (first, retry, late_retry)] == [1, 0, 0]
    assert [r["wamid"] for r in await settled(conn, 1)] == [
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    ]
    assert await user_messages(conn) == ["quiero una cita"]
    assert len(graph.sent_to(MARIA)) == 1


async def test_status_callbacks_are_acknowledged_and_send_nothing(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    callback = await deliver(webhook, status_callback(MARIA))
    assert callback.status_code == 200
    assert callback.json() == {"received": 0, "accepted": 0}

    await deliver(webhook, text(MARIA, "quiero una cita"))  # answered after the callback, if it sent anything
    await graph.await_for(1, MARIA)
    assert len(graph.received) == 1
    assert len(await inbound_rows(conn)) == 1


async def test_tapped_button_or_list_row_sends_its_id_as_the_message(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await deliver(webhook, tapped(MARIA, "si", "Sí"))
    await deliver(webhook, tapped(MARIA, "2", "Pediatría", kind="list_reply"))

    await graph.await_for(2, MARIA, within=60)
    assert await user_messages(conn) == ["si", "2"]
    assert [r["message_type"] for r in await settled(conn, 2)] == ["interactive", "interactive"]


async def test_messages_without_text_get_a_polite_answer_and_reactions_none(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await deliver(webhook, message(MARIA, "reaction", {"message_id": "wamid.ours-1", "emoji": "👍"}))
    await deliver(webhook, message(MARIA, "image", {"id": "1234", "mime_type": "image/jpeg"}))

    [reply] = await graph.await_for(1, MARIA)
    assert reply.text == replies.ONLY_TEXT
    rows = await settled(conn, 2)
    assert [(r["message_type"], r["status"]) for r in rows] == [("reaction", "ignored"), ("image", "answered")]
    assert await user_messages(conn) == []


async def test_a_text_of_only_control_characters_gets_the_only_text_answer(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    await deliver(webhook, text(MARIA, "\x00\x07 \u202e\x1b\t\n\x7f\x85 "))

    [reply] = await graph.await_for(1, MARIA)
    assert reply.text == replies.ONLY_TEXT
    [row] = await settled(conn, 1)
    assert (row["message_type"], row["status"], row["error"]) == ("text", "answered", None)
    assert await user_messages(conn) == []


async def test_a_phone_verified_through_a_chat_key_verifies_again_on_whatsapp(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, sms: FakeSmsServer, api_key: str
) -> None:
    on_the_api = ChatPatient(webhook, api_key, f"+{MARIA}", sms)
    await on_the_api.verify("mis citas", demo.MARIA.date_of_birth.strftime("%d/%m/%Y"))

    assert (await deliver(webhook, text(MARIA, "mis citas"))).json()["accepted"] == 1
    [reply] = await graph.await_for(1, MARIA)

    assert "fecha de nacimiento" in reply.text
    assert (await on_the_api.say("mis citas"))["action"] == "list_appointments"


async def test_slot_options_become_reply_buttons_and_a_tap_books(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    async def say(payload: dict[str, Any]) -> Sent:
        before = len(graph.sent_to(MARIA))
        assert (await deliver(webhook, payload)).json()["accepted"] == 1
        return (await graph.await_for(before + 1, MARIA))[-1]

    assert "fecha de nacimiento" in (await say(text(MARIA, "quiero una cita con pediatría"))).text
    assert "código" in (await say(text(MARIA, "21 de mayo de 1987"))).text
    code = sms.codes()[-1]
    offered = await say(text(MARIA, code))

    assert offered.body["type"] == "interactive"
    interactive = offered.body["interactive"]
    assert interactive["type"] == "button"
    assert "Dra. Lucía Vargas" in interactive["body"]["text"]
    buttons = [b["reply"] for b in interactive["action"]["buttons"]]
    assert [b["id"] for b in buttons] == ["1", "2", "3"]
    assert all(0 < len(b["title"]) <= 20 for b in buttons)

    confirm = await say(tapped(MARIA, "1", buttons[0]["title"]))
    assert "Confirma" in confirm.text
    assert [b["reply"]["id"] for b in confirm.body["interactive"]["action"]["buttons"]] == ["si", "no"]
    booked = await say(tapped(MARIA, "si", "Sí"))

    # Her first booking asks about reminders, with Sí/No buttons.
    assert booked.body["type"] == "interactive"
    assert conversation_replies.REMINDERS_QUESTION in booked.body["interactive"]["body"]["text"]
    status = await conn.fetchval(
        "SELECT a.status FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE p.phone = $1", f"+{MARIA}"
    )
    assert status == "booked"
    assert [r["status"] for r in await settled(conn, 5)] == ["answered"] * 5


async def test_a_reminders_confirm_button_confirms_that_appointment_after_verification(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, sms: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    la_paz = ZoneInfo("America/La_Paz")
    now = datetime.now(la_paz)
    patient = await repository.patient_by_phone(conn, phone=f"+{MARIA}")
    pediatrician = await conn.fetchval("SELECT id FROM doctors WHERE full_name = 'Dra. Lucía Vargas'")
    assert patient is not None
    [slot, *_] = await free_slots(
        conn,
        first_day=now.date() + timedelta(days=1),
        last_day=now.date() + timedelta(days=14),
        now=now,
        doctor_id=pediatrician,
        specialty_code=None,
        patient_id=None,
        tz=la_paz,
        min_notice=timedelta(hours=1),
        limit=1,
    )
    held = await booking.book(
        conn, patient_id=patient.id, doctor_id=pediatrician, starts_at=slot.starts_at, now=now, tz=la_paz
    )

    async def say(payload: dict[str, Any]) -> Sent:
        before = len(graph.sent_to(MARIA))
        assert (await deliver(webhook, payload)).json()["accepted"] == 1
        return (await graph.await_for(before + 1, MARIA))[-1]

    # A template's quick-reply button: type "button", its payload names the appointment.
    button = {"text": "Confirmar", "payload": f"confirm:{held.id}"}
    assert "fecha de nacimiento" in (await say(message(MARIA, "button", button))).text
    assert "código" in (await say(text(MARIA, "21 de mayo de 1987"))).text
    confirmed = await say(text(MARIA, sms.codes()[-1]))

    assert "¡Gracias por confirmar!" in confirmed.text
    assert await conn.fetchval("SELECT confirmed_at FROM appointments WHERE id = $1", held.id) is not None
    assert (await user_messages(conn))[0] == f"confirm:{held.id}"
    assert [r["message_type"] for r in await settled(conn, 3)] == ["button", "text", "text"]


async def test_a_patient_over_the_rate_limit_is_not_answered(
    make_client: MakeClient, graph: FakeGraphApi, seeded: None, conn: asyncpg.Connection
) -> None:
    client = await make_client(**whatsapp_settings(graph), RATE_LIMIT_USER_BURST=1, RATE_LIMIT_USER_PER_MINUTE=1)

    await deliver(client, text(MARIA, "quiero una cita"))
    await deliver(client, text(MARIA, "quiero una cita"))

    assert [r["status"] for r in await settled(conn, 2)] == ["answered", "limited"]
    assert len(graph.sent_to(MARIA)) == 1
    assert await user_messages(conn) == ["quiero una cita"]


async def test_graph_api_failures_are_retried_then_recorded_on_the_message(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    graph.status = 500
    await deliver(webhook, text(MARIA, "quiero una cita"))

    [row] = await settled(conn, 1)
    assert row["status"] == "failed"
    assert "Graph API" in row["error"]  # its 500, or the breaker those 500s opened
    # Each of the 3 runs of the job (WHATSAPP_RETRIES=2) sends through the Graph breaker's own quick retries.
    assert len(graph.sent_to(MARIA)) >= 3
    assert {s.status for s in graph.sent_to(MARIA)} == {500}
    assert await conn.fetchval("SELECT attempts FROM whatsapp_inbound") == 3
    assert await user_messages(conn) == ["quiero una cita"]  # the turn ran once


async def test_a_refusal_no_retry_can_change_fails_the_message_at_once(
    webhook: httpx.AsyncClient, graph: FakeGraphApi, conn: asyncpg.Connection
) -> None:
    graph.status = 400  # e.g. a recipient WhatsApp does not know
    await deliver(webhook, text(MARIA, "quiero una cita"))

    [row] = await settled(conn, 1)
    assert (row["status"], "400" in row["error"]) == ("failed", True)
    assert len(graph.sent_to(MARIA)) == 1


async def test_shutdown_waits_for_answers_in_flight(
    database_url: str,
    redis_url: str,
    inference_server: InferenceProcess,
    sms: FakeSmsServer,
    graph: FakeGraphApi,
    seeded: None,
    conn: asyncpg.Connection,
) -> None:
    settings = gateway_settings(database_url, redis_url, inference_server.target, sms.url, **whatsapp_settings(graph))
    app = create_app(settings)
    graph.delays = [1.0]  # the Graph API takes its time over the answer
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        async with client:
            assert (await deliver(client, text(MARIA, "quiero una cita"))).json()["accepted"] == 1
            await graph.await_for(1, MARIA)  # the answer is on its way when shutdown starts
    # The lifespan has ended: the send finished and was recorded before the pool and clients closed.
    assert len(graph.sent_to(MARIA)) == 1
    assert [r["status"] for r in await inbound_rows(conn)] == ["answered"]
    sent = await conn.fetch("SELECT status, attempts, sent_wamid FROM whatsapp_outbound")
    assert [tuple(r) for r in sent] == [("sent", 1, "wamid.fake-out-1")]


# --- parsing and shaping -----------------------------------------------------------------------------------------


def test_payload_parsing_ignores_unknown_fields_and_message_types() -> None:
    payload = text(MARIA, "  Hola  ")
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"][0]["brand_new_field"] = {"x": 1}
    value["messages"].append({"from": MARIA, "id": "wamid.2", "type": "hologram", "hologram": {}})
    payload["entry"][0]["changes"].append({"field": "account_update", "value": {"event": "VERIFIED"}})

    found = inbound_messages(WebhookPayload.model_validate(payload))

    assert [(m.message_type, m.text, m.answer) for m in found] == [("text", "Hola", True), ("hologram", None, True)]
    assert found[0].phone == "+59170000001"
    assert found[0].phone_number_id == PHONE_NUMBER_ID


def test_four_to_ten_options_become_a_list_within_whatsapps_limits() -> None:
    options = [Option(id=str(i), title=f"Especialidad número {i} muy larga", description="d" * 100) for i in range(7)]

    [sent] = reply_messages(MARIA, "¿Qué especialidad necesita?", options)

    interactive = sent["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [str(i) for i in range(7)]
    assert all(len(r["title"]) <= 24 and len(r["description"]) <= 72 for r in rows)
    assert len(interactive["action"]["button"]) <= 20


def test_long_replies_are_split_and_keep_their_choices() -> None:
    long_text = "\n".join(f"Línea {i}: " + "palabra " * 20 for i in range(60))
    assert len(long_text) > 4096

    plain = reply_messages(MARIA, long_text)
    with_options = reply_messages(MARIA, long_text, [Option(id="si", title="Sí"), Option(id="no", title="No")])

    assert [m["type"] for m in plain] == ["text", "text", "text"]
    assert all(len(m["text"]["body"]) <= 4096 for m in plain)
    assert " ".join(m["text"]["body"] for m in plain).split() == long_text.split()
    assert [m["type"] for m in with_options] == ["text", "text", "text", "interactive"]
    assert len(with_options[-1]["interactive"]["body"]["text"]) <= 1024
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]
