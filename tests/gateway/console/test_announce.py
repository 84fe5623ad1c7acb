"""A conversation newly waiting for a person is announced to n8n by a durable job: against a local fake webhook."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from gateway.security.api_keys import create_api_key
from tests.gateway.console.conftest import Console
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

TOKEN = "handover-token-0123456789abcdef"
HANDOVER_JSON = Path(__file__).resolve().parents[3] / "deploy" / "n8n" / "handover.json"


@pytest.fixture
def n8n() -> Iterator[FakeSmsServer]:
    """The clinic's n8n webhook: a local HTTP server that records what it is posted and answers `status`."""
    with fake_sms_server() as fake:
        yield fake


async def _until(check: object, seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_new_request_for_a_person_is_announced_without_personal_data_and_retried_until_it_arrives(
    console: Console, n8n: FakeSmsServer, conn: asyncpg.Connection
) -> None:
    n8n.status = 503  # n8n down at first: the job retries
    client = await console.make(
        N8N_HANDOVER_WEBHOOK_URL=f"{n8n.url}/webhook/clinic-handover",
        N8N_HANDOVER_TOKEN=TOKEN,
        CONSOLE_BASE_URL="https://clinica.example.bo",
        JOB_RECOVER_EVERY_SECONDS=1,
    )
    key = (await create_api_key(conn, name="n8n", scopes={"chat"})).secret
    phone = "+59170008811"
    chat = {"messages": [{"role": "user", "content": "quiero hablar con una persona"}], "user_id": phone}

    answer = await client.post("/chat", json=chat, headers={"X-API-Key": key})

    assert answer.status_code == 200 and answer.json()["action"] == "human_handoff"  # the turn never waits for n8n
    await _until(lambda: len(n8n.received) >= 1)
    n8n.status = 200
    await _until(lambda: len(n8n.received) >= 2, seconds=20)
    sent = n8n.received[-1]
    conversation_id = answer.json()["conversation_id"]
    assert sent.path == "/webhook/clinic-handover"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert set(sent.body) == {"reason", "flagged_at", "waiting_count", "console_url"}
    assert sent.body["reason"] == "human_handoff" and sent.body["waiting_count"] == 1
    assert sent.body["console_url"] == f"https://clinica.example.bo/console/conversaciones/{conversation_id}"
    raw = json.dumps(sent.body)
    assert phone not in raw and phone[-6:] not in raw and "persona" not in raw
    row = await conn.fetchrow("SELECT announcement, announced_at FROM handovers")
    assert row is not None and row["announcement"] == "sent" and row["announced_at"] is not None
    scrape = (await client.get("/metrics")).text
    assert 'handover_announcements_total{outcome="sent"} 1.0' in scrape
    assert 'handover_announcements_total{outcome="retried"} 1.0' in scrape
    assert 'handover_announcements_total{outcome="failed"} 0.0' in scrape  # exported before the first failure

    # Asking again while it waits is not news: nothing more is announced.
    await client.post("/chat", json=chat, headers={"X-API-Key": key})
    await asyncio.sleep(2.5)
    assert len(n8n.received) == 2


async def test_without_a_webhook_nothing_is_pending(console: Console, conn: asyncpg.Connection) -> None:
    client = await console.make()
    key = (await create_api_key(conn, name="n8n", scopes={"chat"})).secret
    chat = {
        "messages": [{"role": "user", "content": "me duele el pecho y no puedo respirar"}],
        "user_id": "+59170008812",
    }
    assert (await client.post("/chat", json=chat, headers={"X-API-Key": key})).json()["action"] == "emergency"
    assert await conn.fetchval("SELECT announcement FROM handovers") == "off"


def test_the_handover_workflow_checks_its_token_and_carries_no_personal_data() -> None:
    [workflow] = json.loads(HANDOVER_JSON.read_text())
    nodes = {n["name"]: n for n in workflow["nodes"]}
    [hook] = [n for n in nodes.values() if n["type"] == "n8n-nodes-base.webhook"]
    assert hook["parameters"]["path"] == "clinic-handover" and hook["parameters"]["responseMode"] == "responseNode"
    check = nodes["Check"]["parameters"]["jsCode"]
    assert "HANDOVER_WEBHOOK_TOKEN" in check and "timingSafeEqual" in check
    assert workflow["settings"]["saveDataSuccessExecution"] == "none"
    assert workflow["connections"]["Accepted?"]["main"][0][0]["node"] == "Tell the team"
    # Out of the box it posts the Spanish line to a Slack-style incoming webhook the clinic sets in n8n's env.
    tell = nodes["Tell the team"]
    assert tell["type"] == "n8n-nodes-base.httpRequest" and "$env.HANDOVER_NOTIFY_URL" in tell["parameters"]["url"]
    assert "Conversación esperando" in check and "$json.text" in tell["parameters"]["jsonBody"]
    # n8n 1.x answers 200 for a responseNode run that failed: a failed "Tell the team" must answer non-2xx itself,
    # or the gateway records an announcement nobody got (run for real in tests/e2e/test_n8n_handover.py).
    assert tell["onError"] == "continueErrorOutput"
    [[failed]] = [[link["node"] for link in output] for output in workflow["connections"]["Tell the team"]["main"][1:]]
    assert nodes[failed]["type"] == "n8n-nodes-base.respondToWebhook"
    assert not 200 <= nodes[failed]["parameters"]["options"]["responseCode"] < 300
    assert httpx.URL(f"http://n8n/webhook/{hook['parameters']['path']}").path == "/webhook/clinic-handover"
