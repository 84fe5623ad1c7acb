"""The clinic's n8n workflow (deploy/n8n/workflow.json) run for real.

Real n8n 1.x (installed into .cache/n8n by `make test-e2e`), a real gateway under uvicorn, the real
inference server, Postgres and Redis; fake WhatsApp Graph API and SMS provider record what they are sent.
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
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from appointments.demo import seed_demo_clinic
from devstack.processes import Child, start_until
from gateway.security.api_keys import create_api_key
from tests.conftest import InferenceProcess, free_port
from tests.e2e.fake_whatsapp import FakeGraphApi, fake_graph_api
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "deploy" / "n8n" / "workflow.json"
N8N = Path(os.environ.get("N8N_DIR", ROOT / ".cache" / "n8n")) / "node_modules" / ".bin" / "n8n"
PHONE_NUMBER_ID = "106540352242922"
MARIA = "+59170000001"  # demo patient María Fernanda López
OTP_SECRET = "e2e-otp-secret-of-at-least-16-bytes"


@dataclass
class Gateway:
    url: str
    api_key: str


def _wait_http(url: str, process: subprocess.Popen[str], what: str, timeout: float, log: Child | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = log.text if log is not None else ""
            raise RuntimeError(f"{what} did not start:\n{output[-4000:]}")
        time.sleep(0.25)


async def _prepare_database(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await seed_demo_clinic(conn)
        return (await create_api_key(conn, name="n8n e2e", scopes={"chat"})).secret
    finally:
        await conn.close()


@pytest.fixture
def sms() -> Iterator[FakeSmsServer]:
    with fake_sms_server() as fake:
        yield fake


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with fake_graph_api() as fake:
        yield fake


@pytest.fixture
def gateway(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer
) -> Iterator[Gateway]:
    """The gateway under uvicorn, as deployed behind n8n."""
    api_key = asyncio.run(_prepare_database(database_url))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
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
    child, _ = start_until(command, ready=r"Uvicorn running on", env=env, cwd=ROOT, timeout=60)
    try:
        _wait_http(f"http://127.0.0.1:{port}/health", child.process, "the gateway", 30, child)
        yield Gateway(url=f"http://127.0.0.1:{port}", api_key=api_key)
    finally:
        child.stop()
        print("--- gateway ---", child.text[-6000:], sep="\n")


@pytest.fixture
def n8n(tmp_path: Path, gateway: Gateway, graph: FakeGraphApi) -> Iterator[str]:
    """n8n on a free port with a throwaway user folder, the workflow imported and active; its base URL."""
    if not N8N.exists():
        pytest.fail("n8n is not installed: run `make test-e2e` (or deploy/n8n/install.sh) once")
    port = free_port()
    env = {
        **os.environ,
        "N8N_USER_FOLDER": str(tmp_path / "n8n"),
        "N8N_PORT": str(port),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        # isolated-vm is not built (no prebuilt binaries here): the legacy expression engine needs none.
        "N8N_EXPRESSION_ENGINE": "legacy",
        "N8N_RUNNERS_ENABLED": "false",
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_SECURE_COOKIE": "false",
        "N8N_BLOCK_ENV_ACCESS_IN_NODE": "false",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        "N8N_LOG_LEVEL": "info",
        # What the workflow reads with $env (deploy/env/n8n.env in production).
        "GATEWAY_URL": gateway.url,
        "GATEWAY_API_KEY": gateway.api_key,
        "WHATSAPP_ACCESS_TOKEN": "e2e-token",
        "WHATSAPP_GRAPH_BASE_URL": graph.url,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
    }
    workflow_id = json.loads(WORKFLOW.read_text())[0]["id"]
    # Importing deactivates a workflow; activating it takes effect when n8n starts.
    for args in (
        ["import:workflow", f"--input={WORKFLOW}"],
        ["update:workflow", f"--id={workflow_id}", "--active=true"],
    ):
        done = subprocess.run([str(N8N), *args], env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"n8n {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    activated = rf"Activated workflow .*\(ID: {workflow_id}\)"
    child, _ = start_until([str(N8N), "start"], ready=activated, env=env, timeout=180)
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", child.process, "n8n", 60, child)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.stop()
        print("--- n8n ---", child.text[-4000:], sep="\n")


def test_whatsapp_booking_conversation_through_the_n8n_workflow(
    n8n: str, graph: FakeGraphApi, sms: FakeSmsServer, database_url: str, tmp_path: Path
) -> None:
    wa_id = MARIA.removeprefix("+")

    def patient_says(text: str) -> str:
        """Post to the workflow's webhook as the WhatsApp relay does; the bot's reply sent to WhatsApp."""
        before = len(graph.sent_to(wa_id))
        answer = httpx.post(f"{n8n}/webhook/whatsapp-incoming", json={"from": MARIA, "message": text}, timeout=90)
        assert answer.status_code == 200, answer.text
        sent = graph.wait_for(before + 1, wa_id, timeout=30)
        assert len(sent) == before + 1, sent
        return sent[-1].text

    assert patient_says("Hola, buenas tardes").strip()
    assert "4 dígitos" in patient_says("quiero una cita con pediatría")
    assert "código" in patient_says("0001")
    assert sms.codes(), (sms.received, [s.text for s in graph.received])
    offered = patient_says(sms.codes()[-1])
    assert "Dra. Lucía Vargas" in offered and "1)" in offered
    assert "¿Confirma su cita" in patient_says("1")
    booked = patient_says("sí")
    assert booked.startswith("¡Listo! Su cita con Dra. Lucía Vargas")

    sent = graph.sent_to(wa_id)
    assert all(s.path == f"/v21.0/{PHONE_NUMBER_ID}/messages" for s in sent)
    assert all(s.headers["authorization"] == "Bearer e2e-token" for s in sent)
    assert all(s.body["messaging_product"] == "whatsapp" and s.body["type"] == "text" for s in sent)

    async def stored() -> tuple[list[tuple[str, str]], list[str]]:
        conn = await asyncpg.connect(database_url)
        try:
            messages = await conn.fetch("SELECT role, content FROM messages WHERE user_phone = $1 ORDER BY id", MARIA)
            statuses = await conn.fetch(
                "SELECT a.status FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE p.phone = $1", MARIA
            )
            return [(m["role"], m["content"]) for m in messages], [s["status"] for s in statuses]
        finally:
            await conn.close()

    messages, appointments = asyncio.run(stored())
    assert [content for role, content in messages if role == "user"][-1] == "sí"
    assert [content for role, content in messages if role == "assistant"] == [s.text for s in sent]
    assert appointments == ["booked"]

    # The booked turn went through the "Appointment booked" branch, which prepared the staff's note.
    with sqlite3.connect(tmp_path / "n8n" / ".n8n" / "database.sqlite") as db:
        executions = [row[0] for row in db.execute("SELECT data FROM execution_data")]
    assert sum("appointment_booked" in data for data in executions) == 1
