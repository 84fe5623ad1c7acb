"""The clinic's n8n workflow (deploy/n8n/workflow.json) run for real, as Meta's WhatsApp Cloud API talks to it.

Real n8n 1.x (installed into .cache/n8n by `make test-e2e`), a real gateway under uvicorn, the real
inference server, Postgres and Redis. Meta's side is played by signed deliveries (tests/e2e/meta.py);
the Graph API and the SMS provider are fakes that record what they are sent, and a proxy between n8n and
the gateway records each /chat call (and can lose an answer on the way back). One n8n serves the module;
each test speaks from its own phone.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from appointments.demo import MARIA, seed_demo_clinic
from devstack.processes import Child, start_until
from gateway.security.api_keys import create_api_key
from gateway.whatsapp import replies as whatsapp_replies
from tests.e2e import meta
from tests.e2e.fake_whatsapp import FakeGraphApi, Sent, fake_graph_api
from tests.e2e.lossy_proxy import LossyProxy, lossy_proxy
from tests.e2e.n8n import installed, running_n8n
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server
from tests.support.services import InferenceProcess, clone_database, free_port, runtime_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "deploy" / "n8n" / "workflow.json"
OTP_SECRET = "e2e-otp-secret-of-at-least-32-bytes-long"
APP_SECRET = "e2e-meta-app-secret-" + uuid.uuid4().hex
VERIFY_TOKEN = "e2e-verify-token-" + uuid.uuid4().hex


@dataclass
class Stack:
    """Everything one module's tests share."""

    n8n: str
    n8n_folder: Path
    database_url: str
    api_key: str
    graph: FakeGraphApi
    sms: FakeSmsServer
    chat: LossyProxy

    @property
    def meta(self) -> meta.Meta:
        return meta.Meta(f"{self.n8n}/webhook/whatsapp-incoming", APP_SECRET)

    def executions(self) -> list[tuple[str, str]]:
        """(status, data) of every workflow execution n8n recorded so far."""
        with sqlite3.connect(self.n8n_folder / ".n8n" / "database.sqlite", timeout=10) as db:
            rows = db.execute(
                "SELECT e.status, d.data FROM execution_entity e JOIN execution_data d ON d.executionId = e.id"
            ).fetchall()
        return [(str(status), str(data)) for status, data in rows]

    def settle(self, at_least: int, timeout: float = 60) -> list[tuple[str, str]]:
        """Wait until n8n recorded `at_least` executions and none is still running; fail on any that failed."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                executions = self.executions()
            except sqlite3.OperationalError:  # n8n is writing; read again
                executions = []
            done = [e for e in executions if e[0] not in ("new", "running", "waiting")]
            if len(executions) >= at_least and len(done) == len(executions):
                break
            states = [e[0] for e in executions]
            assert time.monotonic() < deadline, f"n8n did not finish {at_least} executions: {states}"
            time.sleep(0.2)
        failed = [data[-3000:] for state, data in executions if state != "success"]
        assert not failed, f"n8n executions failed: {failed}"
        return executions

    def stored(self, phone: str) -> dict[str, Any]:
        """What the gateway's database holds for `phone`."""

        async def read() -> dict[str, Any]:
            conn = await asyncpg.connect(self.database_url)
            try:
                messages = await conn.fetch(
                    "SELECT role, content FROM messages WHERE user_phone = $1 ORDER BY id", phone
                )
                conversations = await conn.fetchval("SELECT count(*) FROM conversations WHERE user_phone = $1", phone)
                appointments = await conn.fetch(
                    "SELECT a.status FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE p.phone = $1",
                    phone,
                )
                keys = await conn.fetch("SELECT idempotency_key, state FROM chat_requests ORDER BY started_at")
            finally:
                await conn.close()
            return {
                "messages": [(m["role"], m["content"]) for m in messages],
                "conversations": conversations,
                "appointments": [a["status"] for a in appointments],
                "chat_requests": {k["idempotency_key"]: k["state"] for k in keys},
            }

        return asyncio.run(read())


def _wait_http(url: str, process: subprocess.Popen[str], what: str, timeout: float, log: Child) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.text[-4000:]}")
        time.sleep(0.25)


async def _prepare_database(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await seed_demo_clinic(conn)
        return (await create_api_key(conn, name="n8n e2e", scopes={"chat"})).secret
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def n8n_binary() -> Path:
    return installed()


@pytest.fixture(scope="module")
def stack(
    n8n_binary: Path,
    postgres_server_url: str,
    template_database: str,
    redis_url: str,
    inference_server: InferenceProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """Postgres, the gateway under uvicorn (runtime login), the proxy, fakes and n8n with the workflow active."""
    with (
        clone_database(postgres_server_url, template_database) as database_url,
        fake_sms_server() as sms,
        fake_graph_api() as graph,
    ):
        api_key = asyncio.run(_prepare_database(database_url))
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": runtime_url(database_url),
            "REDIS_URL": redis_url,
            "INFERENCE_TARGET": inference_server.target,
            "INFERENCE_TIMEOUT_SECONDS": "30",
            "SMS_BASE_URL": sms.url,
            # Required in practice: an empty token makes an illegal "Bearer " header and no SMS leaves.
            "SMS_API_TOKEN": "e2e-sms-token",
            "OTP_SECRET": OTP_SECRET,
            "APP_ENV": "development",
            # Verification state lives in Redis by phone: a prefix of its own keeps this run apart.
            "REDIS_KEY_PREFIX": f"e2e-{uuid.uuid4().hex}",
        }
        command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", "--port", str(port)]
        gateway, _ = start_until(command, ready=r"Uvicorn running on", env=env, cwd=ROOT, timeout=60)
        try:
            _wait_http(f"http://127.0.0.1:{port}/health", gateway.process, "the gateway", 30, gateway)
            with lossy_proxy(f"http://127.0.0.1:{port}") as chat:
                folder = tmp_path_factory.mktemp("n8n")
                with _n8n(folder, gateway_url=chat.url, api_key=api_key, graph=graph) as n8n:
                    yield Stack(n8n, folder, database_url, api_key, graph, sms, chat)
        finally:
            gateway.stop()
            print("--- gateway ---", gateway.text[-6000:], sep="\n")


@contextmanager
def _n8n(folder: Path, *, gateway_url: str, api_key: str, graph: FakeGraphApi) -> Iterator[str]:
    """n8n (tests/e2e/n8n.py) running the inbound workflow against this stack's gateway and fake Graph API."""
    # What the workflow reads with $env (deploy/env/n8n.env in production).
    workflow_env = {
        "GATEWAY_URL": gateway_url,
        "GATEWAY_API_KEY": api_key,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_ACCESS_TOKEN": "e2e-token",
        "WHATSAPP_GRAPH_BASE_URL": graph.url,
    }
    with running_n8n(WORKFLOW, folder, workflow_env) as url:
        yield url


def wa(phone: str) -> str:
    return phone.removeprefix("+")


class Patient:
    """A patient writing on WhatsApp: each message is one signed delivery; replies are read off the Graph API."""

    def __init__(self, stack: Stack, phone: str) -> None:
        self.stack = stack
        self.wa_id = wa(phone)

    def sends(self, message: dict[str, Any], replies: int = 1) -> list[Sent]:
        before = len(self.stack.graph.sent_to(self.wa_id))
        answer = self.stack.meta.deliver(meta.delivery(message))
        assert answer.status_code == 200, answer.text
        sent = self.stack.graph.wait_for(before + replies, self.wa_id, timeout=60)
        return sent[before:]

    def says(self, text: str) -> Sent:
        (reply,) = self.sends(meta.text(self.wa_id, text))
        return reply

    def taps(self, reply: Sent, title: str) -> Sent:
        """Tap the button or list row titled `title` of an interactive `reply`."""
        interactive = reply.body["interactive"]
        if interactive["type"] == "button":
            choices = [b["reply"] for b in interactive["action"]["buttons"]]
            tapped = meta.button_reply
        else:
            choices = [row for section in interactive["action"]["sections"] for row in section["rows"]]
            tapped = meta.list_reply
        (choice,) = [c for c in choices if c["title"] == title]
        (answer,) = self.sends(tapped(self.wa_id, choice["id"], choice["title"]))
        return answer


def test_meta_handshake_echoes_the_challenge_only_for_the_verify_token(stack: Stack) -> None:
    ok = stack.meta.handshake(token=VERIFY_TOKEN, challenge="1158201444")
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")

    for refused in (
        stack.meta.handshake(token="not-the-token"),
        stack.meta.handshake(token=VERIFY_TOKEN[:-1]),
        stack.meta.handshake(mode="unsubscribe", token=VERIFY_TOKEN),
        httpx.get(stack.meta.url, params={"hub.mode": "subscribe", "hub.challenge": "1"}, timeout=30),
    ):
        assert refused.status_code == 403, refused.text
        assert "1158201444" not in refused.text
        assert refused.json()["error"]["code"] == "forbidden"


def test_whatsapp_booking_conversation_with_buttons_and_lists(stack: Stack) -> None:
    patient = Patient(stack, MARIA.phone)
    assert patient.says("Hola, buenas tardes").text.strip()

    # The dialog decides the order (identity question, texted code, specialty): answer what each reply asks.
    reply = patient.says("quiero una cita")
    picked: list[str] = []
    for _ in range(6):
        if "Dra. Lucía Vargas" in reply.text:
            break
        if "nacimiento" in reply.text:
            reply = patient.says(MARIA.date_of_birth.strftime("%d/%m/%Y"))
        elif "4 dígitos" in reply.text:
            reply = patient.says(MARIA.phone[-4:])
        elif "código" in reply.text and stack.sms.codes():
            reply = patient.says(stack.sms.codes()[-1])
        elif "especialidad" in reply.text:
            # Eight specialties: a list, whose row the patient picks.
            assert reply.body["interactive"]["type"] == "list", reply.body
            picked += [c["id"] for c in _choices(reply) if c["title"] == "Pediatría"]
            reply = patient.taps(reply, "Pediatría")
        else:
            raise AssertionError(f"unexpected reply: {reply.text}")
    assert stack.sms.codes() and picked, [s.text for s in stack.graph.sent_to(patient.wa_id)]

    offered = reply
    assert "Dra. Lucía Vargas" in offered.text
    assert offered.body["type"] == "interactive", offered.body
    first_slot = _choices(offered)[0]["title"]
    confirm = patient.taps(offered, first_slot)
    assert "¿Confirma su cita" in confirm.text
    assert confirm.body["interactive"]["type"] == "button"
    assert [c["id"] for c in _choices(confirm)] == ["si", "no"]
    booked = patient.taps(confirm, "Sí")
    assert booked.text.startswith("¡Listo! Su cita con la Dra. Lucía Vargas")

    sent = stack.graph.sent_to(patient.wa_id)
    assert all(s.path == f"/v21.0/{meta.PHONE_NUMBER_ID}/messages" for s in sent)
    assert all(s.headers["authorization"] == "Bearer e2e-token" for s in sent)
    assert all(s.body["messaging_product"] == "whatsapp" for s in sent)

    stored = stack.stored(MARIA.phone)
    said = [content for role, content in stored["messages"] if role == "user"]
    # A tapped button or row reaches /chat as the option's id, which the dialog reads like a typed answer.
    assert said[-2:] == [_choices(offered)[0]["id"], "si"]
    assert picked[0] in said
    assert [content for role, content in stored["messages"] if role == "assistant"] == [s.text for s in sent]
    assert stored["appointments"] == ["booked"]
    # Every /chat call carried the message's wamid as message_id, once each.
    calls = stack.chat.calls_from(MARIA.phone)
    assert len(calls) == len(sent) and all(c.message_id and c.message_id.startswith("wamid.") for c in calls)
    assert len({c.message_id for c in calls}) == len(calls)
    assert all(stored["chat_requests"][c.message_id or ""] == "done" for c in calls)

    # The booked turn went through the "Appointment booked" branch, which prepared the staff's note.
    executions = stack.settle(at_least=len(sent))
    assert sum("appointment_booked" in data for _, data in executions) == 1


def _choices(reply: Sent) -> list[dict[str, str]]:
    interactive = reply.body["interactive"]
    if interactive["type"] == "button":
        return [b["reply"] for b in interactive["action"]["buttons"]]
    return [row for section in interactive["action"]["sections"] for row in section["rows"]]


def test_meta_gets_its_200_before_the_gateway_has_answered(stack: Stack) -> None:
    phone = "+59176543221"
    hello = meta.text(wa(phone), "Hola")
    stack.chat.delay[hello["id"]] = 5
    answer = stack.meta.deliver(meta.delivery(hello))
    # Meta wants an answer well within 3 s and retries otherwise; the reply is sent when the gateway has it.
    assert answer.status_code == 200 and answer.elapsed.total_seconds() < 3
    assert stack.graph.sent_to(wa(phone)) == []
    assert len(stack.graph.wait_for(1, wa(phone), timeout=60)) == 1


def test_unsigned_or_wrongly_signed_deliveries_are_refused_before_anything_runs(stack: Stack) -> None:
    impostor = "+59176543210"
    payload = meta.delivery(meta.text(wa(impostor), "cancelar mi cita"))
    body = meta.encode(payload)
    before, sent_before, calls_before = len(stack.executions()), len(stack.graph.received), len(stack.chat.exchanges)

    refused = [
        stack.meta.post(body, signed=False),
        stack.meta.post(body, signature=""),
        stack.meta.post(body, signature=meta.sign(body, "not-the-app-secret")),
        stack.meta.post(body, signature=meta.sign(body, APP_SECRET).removeprefix("sha256=")),
        stack.meta.post(body, signature="sha256=" + "0" * 64),
        # Signed by Meta, but the bytes were changed on the way (the same JSON, re-serialised): not Meta's bytes.
        stack.meta.post(json.dumps(payload).encode(), signature=meta.sign(body, APP_SECRET)),
    ]
    for answer in refused:
        assert answer.status_code == 401, answer.text
        assert answer.json() == {"error": {"code": "unauthorized", "message": "missing or invalid X-Hub-Signature-256"}}

    stack.settle(at_least=before + len(refused))
    time.sleep(1)  # anything started by those deliveries would have reached the fakes by now
    assert len(stack.chat.exchanges) == calls_before  # no /chat call at all
    assert len(stack.graph.received) == sent_before  # nothing sent to anyone
    stored = stack.stored(impostor)
    assert stored["conversations"] == 0 and stored["messages"] == []
    assert stack.sms.received == [] or all(wa(impostor) not in str(r) for r in stack.sms.received)


def test_status_callbacks_are_acknowledged_and_not_answered(stack: Stack) -> None:
    phone = "+59176543211"
    before, sent_before = len(stack.executions()), len(stack.graph.received)
    answer = stack.meta.deliver(
        meta.delivery(statuses=(meta.status(wa(phone), "sent"), meta.status(wa(phone), "read")))
    )
    assert answer.status_code == 200, answer.text
    stack.settle(at_least=before + 1)
    assert stack.chat.calls_from(phone) == []
    assert len(stack.graph.received) == sent_before  # nothing sent to anyone
    assert stack.stored(phone)["messages"] == []


def test_media_gets_the_polite_only_text_answer_once_without_asking_the_gateway(stack: Stack) -> None:
    phone = "+59176543212"
    patient = Patient(stack, phone)
    photo = meta.image(wa(phone))
    (reply,) = patient.sends(photo)
    assert reply.text == whatsapp_replies.ONLY_TEXT
    assert reply.body["type"] == "text"

    before = len(stack.executions())
    assert stack.meta.deliver(meta.delivery(photo)).status_code == 200  # Meta delivers it again
    stack.settle(at_least=before + 1)
    assert len(stack.graph.sent_to(wa(phone))) == 1
    assert stack.chat.calls_from(phone) == []
    assert stack.stored(phone)["messages"] == []


def test_a_redelivered_message_is_answered_once(stack: Stack) -> None:
    phone = "+59176543213"
    patient = Patient(stack, phone)
    hello = meta.text(wa(phone), "Hola")
    (first,) = patient.sends(hello)

    # Meta delivers the same message again, once after the answer and twice at the same moment.
    before = len(stack.executions())
    assert stack.meta.deliver(meta.delivery(hello)).status_code == 200
    stack.settle(at_least=before + 1)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: stack.meta.deliver(meta.delivery(hello)), range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    stack.settle(at_least=before + 3)

    assert [s.text for s in stack.graph.sent_to(wa(phone))] == [first.text]
    calls = stack.chat.calls_for(hello["id"])
    # Each delivery asked the gateway, which answered the redeliveries from what it stored for the wamid.
    assert len(calls) == 4 and [c.replayed for c in calls].count(False) == 1
    assert [role for role, _ in stack.stored(phone)["messages"]] == ["user", "assistant"]


def test_an_answer_lost_on_the_way_to_n8n_is_fetched_again_and_sent_once(stack: Stack) -> None:
    phone = "+59176543214"
    patient = Patient(stack, phone)
    hello = meta.text(wa(phone), "Buenos días")
    stack.chat.lose_answer_once.add(hello["id"])
    (reply,) = patient.sends(hello)

    before = len(stack.executions())
    stack.settle(at_least=before)
    time.sleep(1)
    calls = stack.chat.calls_for(hello["id"])
    # The first answer was lost; n8n's retry got the stored one (replayed) and sent it: one answer in all.
    assert [(c.lost, c.replayed) for c in calls] == [(True, False), (False, True)]
    assert stack.graph.sent_to(wa(phone)) == [reply]
    assert [role for role, _ in stack.stored(phone)["messages"]] == ["user", "assistant"]


def test_several_messages_in_one_delivery_are_each_answered_in_order(stack: Stack) -> None:
    ana, luis = "+59176543215", "+59176543216"
    first, second = meta.text(wa(ana), "Hola"), meta.text(wa(ana), "quiero agendar una cita")
    other = meta.text(wa(luis), "Hola")
    before = len(stack.executions())
    assert stack.meta.deliver(meta.delivery(first, second, other)).status_code == 200
    stack.settle(at_least=before + 1)

    assert len(stack.graph.sent_to(wa(ana))) == 2
    assert len(stack.graph.sent_to(wa(luis))) == 1
    said = [content for role, content in stack.stored(ana)["messages"] if role == "user"]
    assert said == ["Hola", "quiero agendar una cita"]
    assert [c.message_id for c in stack.chat.calls_from(ana)] == [first["id"], second["id"]]


def test_a_template_quick_reply_sends_its_payload(stack: Stack) -> None:
    phone = "+59176543217"
    patient = Patient(stack, phone)
    (reply,) = patient.sends(meta.template_button(wa(phone), "hablar con una persona", "Hablar con alguien"))
    said = [content for role, content in stack.stored(phone)["messages"] if role == "user"]
    assert said == ["hablar con una persona"]
    assert reply.text.startswith("Con gusto.")  # the wording says when, if the clinic is closed
    # The handoff went through the "Alert staff" branch, which prepared the note for a person to call back.
    executions = stack.settle(at_least=1)
    assert sum("Paciente pide una persona: hablar con una persona" in data for _, data in executions) == 1


def test_the_patient_gets_an_apology_when_the_gateway_stays_down(stack: Stack) -> None:
    phone = "+59176543218"
    patient = Patient(stack, phone)
    hello = meta.text(wa(phone), "Hola")
    stack.chat.refuse[hello["id"]] = 503
    (reply,) = patient.sends(hello)
    assert reply.text == whatsapp_replies.TRY_AGAIN
    assert len(stack.chat.calls_for(hello["id"])) == 3  # n8n's HTTP node tried three times


def test_a_patient_over_the_rate_limit_is_not_answered(stack: Stack) -> None:
    phone = "+59176543220"
    hello = meta.text(wa(phone), "Hola")
    stack.chat.refuse[hello["id"]] = 429
    before = len(stack.executions())
    assert stack.meta.deliver(meta.delivery(hello)).status_code == 200
    stack.settle(at_least=before + 1)
    # Like the gateway's own webhook: no apology for a flood, which would only answer it.
    assert len(stack.chat.calls_for(hello["id"])) == 3
    assert stack.graph.sent_to(wa(phone)) == []


def test_no_secret_reaches_n8ns_execution_records(stack: Stack) -> None:
    patient = Patient(stack, "+59176543219")
    patient.says("Hola")
    executions = stack.settle(at_least=1)
    for secret in (APP_SECRET, VERIFY_TOKEN, stack.api_key, "e2e-token"):
        assert not any(secret in data for _, data in executions)
