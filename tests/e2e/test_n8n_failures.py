"""A workflow run that fails must not answer 2xx: real n8n 1.x answers a `responseNode` webhook 200 with no body
when a node fails before the Respond node, and the callers (the gateway's handover announcer, the notification
service's N8nSender) would record as done what was never done. Here every Code node fails as it does when n8n
blocks `$env` (N8N_BLOCK_ENV_ACCESS_IN_NODE=true, n8n 2.x's default): our workflows answer 5xx, so the callers try
again, and n8n keeps the failed run."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.n8n import WORKFLOWS, executions, running_n8n
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

TOKEN = "e2e-token-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def blocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, FakeSmsServer]]:
    """n8n that refuses `$env` to Code nodes; the handover and notifications workflows active; what they'd call."""
    folder = tmp_path_factory.mktemp("n8n")
    with fake_sms_server() as outside:
        env = {
            "N8N_BLOCK_ENV_ACCESS_IN_NODE": "true",
            "HANDOVER_WEBHOOK_TOKEN": TOKEN,
            "HANDOVER_NOTIFY_URL": outside.url,
            "NOTIFICATIONS_WEBHOOK_TOKEN": TOKEN,
            "WHATSAPP_ACCESS_TOKEN": "e2e-graph-token",
            "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
            "WHATSAPP_GRAPH_BASE_URL": outside.url,
        }
        workflows = [WORKFLOWS / "handover.json", WORKFLOWS / "notifications.json"]
        with running_n8n(workflows, folder, env) as url:
            yield url, folder, outside


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (
            "clinic-handover",
            {"reason": "emergency", "flagged_at": "2030-03-05T10:00:00-04:00", "waiting_count": 1, "console_url": "/c"},
            502,
            "team_not_told",
        ),
        (
            "clinic-notifications",
            {"messaging_product": "whatsapp", "to": "59170000009", "type": "text", "text": {"body": "Hola"}},
            500,
            "workflow_failed",
        ),
    ],
    ids=["handover", "notifications"],
)
def test_a_run_that_fails_answers_5xx_and_is_kept(
    blocked: tuple[str, Path, FakeSmsServer], path: str, body: dict[str, object], status: int, code: str
) -> None:
    url, folder, outside = blocked
    failed_before = failed_runs(folder)
    answer = httpx.post(f"{url}/webhook/{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert outside.received == []
    # The run ends (and is saved as failed) just after it answered.
    deadline = time.monotonic() + 30
    while failed_runs(folder) == failed_before:
        assert time.monotonic() < deadline, "n8n kept no failed run"
        time.sleep(0.2)
    assert failed_runs(folder) == failed_before + 1


def failed_runs(folder: Path) -> int:
    return len([status for status, _ in executions(folder) if status == "error"])
