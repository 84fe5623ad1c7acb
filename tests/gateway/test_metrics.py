"""GET /metrics: the counters and histograms the alerts and dashboards read, one process or several."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import httpx

from appointments.demo import seed_demo_clinic
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.gateway import MakeClient
from tests.support.services import InferenceProcess, gateway_process, gateway_process_env


def value(exposition: str, sample: str) -> float:
    """The value of one sample line, e.g. `chat_actions_total{action="emergency"}`."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", exposition, re.MULTILINE)
    assert match, f"{sample} not in /metrics"
    return float(match.group(1))


def body(text: str, user_id: str = "+59170000001") -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": user_id}


async def test_chat_metrics(make_client: MakeClient, api_key: str, conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)
    client = await make_client(RATE_LIMIT_USER_BURST=4, RATE_LIMIT_USER_PER_MINUTE=1)
    headers = {"X-API-Key": api_key}
    await client.post("/chat", json=body("está lloviendo fuerte"), headers=headers)  # small talk: the model
    # Another patient: the emergency lasts a while, and a booking is not read as one meanwhile.
    await client.post("/chat", json=body("me duele el pecho y no puedo respirar", "+59170000002"), headers=headers)
    await client.post("/chat", json=body("mis citas"), headers=headers)
    await client.post("/chat", json=body("21/05/1987"), headers=headers)
    await client.post("/chat", json=body("gracias"), headers=headers)
    limited = await client.post("/chat", json=body("hola"), headers=headers)
    assert limited.status_code == 429

    scrape = await client.get("/metrics")

    assert scrape.status_code == 200
    text = scrape.text
    assert value(text, 'chat_requests_total{status="200"}') == 5
    assert value(text, 'chat_requests_total{status="429"}') == 1
    assert value(text, 'chat_actions_total{action="emergency"}') == 1
    assert value(text, 'chat_actions_total{action="verification_required"}') == 2
    assert value(text, 'verification_outcomes_total{outcome="success",step="identity"}') == 1
    assert value(text, 'verification_outcomes_total{outcome="success",step="code_sent"}') == 1
    assert value(text, 'rate_limited_requests_total{scope="user"}') == 1
    assert value(text, 'response_cache_total{result="miss"}') == 1
    assert value(text, "inference_call_seconds_count") == 1
    assert value(text, 'response_time_seconds_count{endpoint="/chat"}') == 6
    assert value(text, 'circuit_breaker_state{name="inference"}') == 0
    assert value(text, 'circuit_breaker_state{name="postgres"}') == 0


def test_metrics_add_up_across_worker_processes(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer, tmp_path: Path
) -> None:
    env = gateway_process_env(
        database_url,
        redis_url,
        inference_server.target,
        sms.url,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    with gateway_process(env, workers=2) as url:
        for _ in range(20):
            # A new connection each time, so the kernel spreads them over both workers.
            assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
        workers = {path.name.split("_")[-1] for path in tmp_path.glob("*.db")}
        scrape = httpx.get(f"{url}/metrics", timeout=10).text

    assert len(workers) >= 2, "both workers should have written metrics"
    assert value(scrape, 'response_time_seconds_count{endpoint="/ready"}') == 20
