"""deploy/n8n/handover.json run for real: a patient asks the gateway (under uvicorn, real Postgres, Redis and
inference) for a person; its durable job announces the conversation to real n8n 1.x, whose "Tell the team" step
posts the Spanish line to the team's channel: a local HTTP server standing in for a Slack incoming webhook
(HANDOVER_NOTIFY_URL). n8n answers 2xx only once the team was told; otherwise the gateway retries, then records
the announcement `failed`. Nothing in it names the patient."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from gateway.security.api_keys import create_api_key
from tests.e2e.lossy_proxy import LossyProxy, lossy_proxy
from tests.e2e.n8n import WORKFLOWS, executions, running_n8n
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server
from tests.support.services import InferenceProcess, clone_database, gateway_process, runtime_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

TOKEN = "e2e-handover-token-" + uuid.uuid4().hex
CONSOLE = "https://clinica.example.bo"
ASKS_FOR_A_PERSON = "quiero hablar con una persona"
EMERGENCY = "me duele el pecho y no puedo respirar"


@dataclass
class N8n:
    url: str
    folder: Path
    # The team's channel: what n8n's "Tell the team" posted, and the status it answers next.
    team: FakeSmsServer

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhook/clinic-handover"

    def failed_executions(self) -> list[str]:
        return [data for status, data in executions(self.folder) if status in ("error", "crashed")]


@pytest.fixture(scope="module")
def n8n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[N8n]:
    folder = tmp_path_factory.mktemp("n8n")
    with fake_sms_server() as team:
        env = {"HANDOVER_WEBHOOK_TOKEN": TOKEN, "HANDOVER_NOTIFY_URL": f"{team.url}/services/T000/B000/XXXX"}
        with running_n8n(WORKFLOWS / "handover.json", folder, env) as url:
            yield N8n(url, folder, team)


@dataclass
class Gateway:
    url: str
    database_url: str
    api_key: str

    def chat(self, phone: str, text: str) -> dict[str, object]:
        body = {"messages": [{"role": "user", "content": text}], "user_id": phone}
        answer = httpx.post(f"{self.url}/chat", json=body, headers={"X-API-Key": self.api_key}, timeout=60)
        assert answer.status_code == 200, answer.text
        reply: dict[str, object] = answer.json()
        return reply

    def announcements(self) -> list[tuple[str, str]]:
        """(reason, announcement) of every handover, oldest first."""

        async def read() -> list[tuple[str, str]]:
            conn = await asyncpg.connect(self.database_url)
            try:
                rows = await conn.fetch("SELECT reason, announcement FROM handovers ORDER BY id")
            finally:
                await conn.close()
            return [(r["reason"], r["announcement"]) for r in rows]

        return asyncio.run(read())

    def wait_for(self, expected: list[tuple[str, str]], timeout: float = 60) -> None:
        _until(lambda: self.announcements() == expected, timeout, lambda: f"announcements: {self.announcements()}")


def _until(done: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, what()
        time.sleep(0.2)


async def _api_key(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return (await create_api_key(conn, name="n8n e2e", scopes={"chat"})).secret
    finally:
        await conn.close()


@contextmanager
def gateway(
    postgres_server_url: str,
    template_database: str,
    redis_url: str,
    inference: InferenceProcess,
    *,
    webhook: str,
    token: str,
    retries: int = 10,
) -> Iterator[Gateway]:
    """A gateway on its own fresh database, announcing to `webhook` with `token`."""
    with clone_database(postgres_server_url, template_database) as database_url, fake_sms_server() as sms:
        env = {
            "APP_ENV": "development",
            "DATABASE_URL": runtime_url(database_url),
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": f"e2e-{uuid.uuid4().hex}",
            "INFERENCE_TARGET": inference.target,
            "INFERENCE_TIMEOUT_SECONDS": "30",
            "SMS_BASE_URL": sms.url,
            "SMS_API_TOKEN": "e2e-sms-token",
            "OTP_SECRET": "e2e-otp-secret-of-at-least-32-bytes-long",
            "N8N_HANDOVER_WEBHOOK_URL": webhook,
            "N8N_HANDOVER_TOKEN": token,
            "N8N_HANDOVER_RETRIES": str(retries),
            "CONSOLE_BASE_URL": CONSOLE,
            # The recovery tick queues the pending announcements: every second, not every minute.
            "JOB_RECOVER_EVERY_SECONDS": "1",
        }
        with gateway_process(env) as url:
            yield Gateway(url, database_url, asyncio.run(_api_key(database_url)))


@pytest.fixture
def announcing(
    n8n: N8n, postgres_server_url: str, template_database: str, redis_url: str, inference_server: InferenceProcess
) -> Iterator[Gateway]:
    with gateway(
        postgres_server_url, template_database, redis_url, inference_server, webhook=n8n.webhook, token=TOKEN
    ) as g:
        yield g


def test_a_patient_asking_for_a_person_is_announced_to_the_team_through_n8n(n8n: N8n, announcing: Gateway) -> None:
    before = len(n8n.team.received)
    asked = announcing.chat("+59170008821", ASKS_FOR_A_PERSON)
    assert asked["action"] == "human_handoff"  # the turn never waits for n8n
    announcing.wait_for([("human_handoff", "sent")])
    emergency = announcing.chat("+59170008822", EMERGENCY)
    assert emergency["action"] == "emergency"
    announcing.wait_for([("human_handoff", "sent"), ("emergency", "sent")])

    told = n8n.team.received[before:]
    assert [(t.path, t.body) for t in told] == [
        (
            "/services/T000/B000/XXXX",
            {"text": f"Conversación esperando: Pide hablar con una persona · 1 esperando · {_link(asked)}"},
        ),
        (
            "/services/T000/B000/XXXX",
            {"text": f"Conversación esperando: Emergencia · 2 esperando · {_link(emergency)}"},
        ),
    ]
    assert told[0].headers["content-type"].startswith("application/json")
    raw = json.dumps([t.body for t in told], ensure_ascii=False)
    assert all(private not in raw for private in ("70008821", "70008822", ASKS_FOR_A_PERSON, EMERGENCY))
    # Successful runs are not saved (saveDataSuccessExecution: none); none failed.
    assert n8n.failed_executions() == []


def _link(reply: dict[str, object]) -> str:
    return f"{CONSOLE}/console/conversaciones/{reply['conversation_id']}"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-token-but-long-enough"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}],
    ids=["none", "wrong", "not bearer", "other header"],
)
def test_without_the_token_the_team_is_not_told(n8n: N8n, headers: dict[str, str]) -> None:
    before = len(n8n.team.received)
    announcement = {
        "reason": "emergency",
        "flagged_at": "2030-03-05T10:00:00-04:00",
        "waiting_count": 1,
        "console_url": f"{CONSOLE}/console/conversaciones/{uuid.uuid4()}",
    }
    answer = httpx.post(n8n.webhook, json=announcement, headers=headers, timeout=30)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"
    assert len(n8n.team.received) == before


def test_what_is_not_an_announcement_is_refused(n8n: N8n) -> None:
    before = len(n8n.team.received)
    good = {"reason": "emergency", "flagged_at": "2030-03-05T10:00:00-04:00", "waiting_count": 1, "console_url": "/x"}
    for body in (
        {**good, "reason": "toString"},
        {**good, "waiting_count": "1"},
        {**good, "console_url": "javascript:alert(1)"},
        [good],
    ):
        answer = httpx.post(n8n.webhook, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert answer.status_code == 422, (body, answer.text)
    assert len(n8n.team.received) == before


def test_a_wrong_token_is_refused_retried_then_recorded_failed(
    n8n: N8n, postgres_server_url: str, template_database: str, redis_url: str, inference_server: InferenceProcess
) -> None:
    before = len(n8n.team.received)
    # A recording proxy in front of n8n counts the gateway's attempts and what n8n answered each.
    with lossy_proxy(n8n.url) as proxy:
        with gateway(
            postgres_server_url,
            template_database,
            redis_url,
            inference_server,
            webhook=f"{proxy.url}/webhook/clinic-handover",
            token="e2e-not-the-handover-token-" + uuid.uuid4().hex,
            retries=2,
        ) as wrong:
            assert wrong.chat("+59170008823", EMERGENCY)["action"] == "emergency"
            wrong.wait_for([("emergency", "failed")])  # after 2 s and 4 s of backoff
        attempts = _statuses(proxy)
    assert attempts == [401, 401, 401]  # the first try and two retries, each refused by n8n
    assert len(n8n.team.received) == before


def _statuses(proxy: LossyProxy) -> list[int]:
    return [exchange.status for exchange in proxy.exchanges]


def test_a_team_channel_that_fails_is_retried_until_the_team_is_told(n8n: N8n, announcing: Gateway) -> None:
    before = len(n8n.team.received)
    failed_before = len(n8n.failed_executions())
    n8n.team.status = 500  # the channel is down: "Tell the team" fails, so n8n does not answer 2xx
    try:
        asked = announcing.chat("+59170008824", ASKS_FOR_A_PERSON)
        # n8n saves the failed run once it is over: the channel answered 500 to it, not the 200 set below.
        _until(lambda: len(n8n.failed_executions()) > failed_before, 30, lambda: "n8n recorded no failed run")
        assert len(n8n.team.received) > before
        assert announcing.announcements() == [("human_handoff", "pending")]
    finally:
        n8n.team.status = 200
    announcing.wait_for([("human_handoff", "sent")])

    told = n8n.team.received[before:]
    assert len(told) >= 2
    line = f"Conversación esperando: Pide hablar con una persona · 1 esperando · {_link(asked)}"
    assert {t.body["text"] for t in told} == {line}
    # n8n saved the failed run for whoever looks into it: it holds no phone.
    failed = n8n.failed_executions()
    assert failed and all("70008824" not in data for data in failed)
