"""One trace per /chat request: the HTTP span, the database queries and the gRPC call share its id; a share of
the traces is recorded (OTEL_TRACES_SAMPLER_RATIO), every one logged."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.context import Context, attach, detach
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import ValidationError
from structlog.typing import EventDict

from gateway.settings import Settings
from gateway.tracing import add_trace_ids, tracer_provider
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.gateway import MakeClient
from tests.support.services import (
    InferenceProcess,
    gateway_process,
    gateway_process_env,
    start_inference_process,
)


@pytest.fixture
async def spans(make_client: MakeClient) -> AsyncIterator[InMemorySpanExporter]:
    """Spans finished during the test (building an app installs the process's provider)."""
    await make_client()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    processor.shutdown()


async def test_a_chat_request_is_one_trace_and_its_id_is_logged(
    client: httpx.AsyncClient, api_key: str, spans: InMemorySpanExporter, capfd: pytest.CaptureFixture[str]
) -> None:
    body = {"messages": [{"role": "user", "content": "Mi perrito se llama Toby"}], "user_id": "+59170000001"}
    answer = await client.post("/chat", json=body, headers={"X-API-Key": api_key})
    assert answer.status_code == 200

    finished = spans.get_finished_spans()
    server = [s for s in finished if s.name == "POST /chat" and s.parent is None]
    assert len(server) == 1
    trace_id = server[0].context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    names = {s.name for s in in_trace}
    assert "/clinic.inference.v1.Inference/Generate" in names
    assert sum(1 for s in in_trace if s.attributes and s.attributes.get("db.system") == "postgresql") >= 3

    captured = capfd.readouterr()
    logged = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    replied = [entry for entry in logged if entry.get("event") == "chat_replied"]
    assert replied and replied[-1]["trace_id"] == format(trace_id, "032x")
    assert replied[-1]["phone"] == "+591*****001"
    assert "Toby" not in json.dumps(logged)


async def test_the_trace_continues_into_the_inference_server(
    make_client: MakeClient, api_key: str, tiny_model: Path, spans: InMemorySpanExporter
) -> None:
    server = start_inference_process(tiny_model, env={"OTEL_TRACES_EXPORTER": "console"})
    try:
        client = await make_client(INFERENCE_TARGET=server.target)
        body = {"messages": [{"role": "user", "content": "Me gusta mucho la música andina"}], "user_id": "+59170000002"}
        assert (await client.post("/chat", json=body, headers={"X-API-Key": api_key})).status_code == 200
        for _ in range(100):  # the server prints its span as the call ends
            if "Inference/Generate" in server.child.text:
                break
            await asyncio.sleep(0.1)
    finally:
        server.stop()

    gateway_call = next(s for s in spans.get_finished_spans() if s.name == "/clinic.inference.v1.Inference/Generate")
    trace_id = f"0x{gateway_call.context.trace_id:032x}"
    server_spans = re.findall(r'"trace_id": "(0x[0-9a-f]{32})"', server.child.text)
    assert trace_id in server_spans


# --- sampling ---------------------------------------------------------------------------------------------------


def _traced(ratio: float, parent: Context | None = None) -> tuple[list[ReadableSpan], EventDict]:
    """A span begun as a request's is, on a provider of its own that samples `ratio`; what was exported and
    what a log line written inside it carries."""
    provider = tracer_provider(service_name="test", exporter="none", sampler_ratio=ratio)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span("GET /ready", context=parent), tracer.start_as_current_span("SELECT"):
        logged = add_trace_ids(None, "info", {})
    provider.shutdown()
    return list(exporter.get_finished_spans()), logged


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_sampled_out_requests_export_no_span_yet_their_logs_keep_a_trace_id(ratio: float) -> None:
    exported, logged = _traced(ratio)

    assert re.fullmatch(r"[0-9a-f]{32}", logged["trace_id"]) and logged["trace_id"] != "0" * 32
    assert re.fullmatch(r"[0-9a-f]{16}", logged["span_id"])
    if ratio == 0:
        assert exported == []
    else:
        assert [s.name for s in exported] == ["SELECT", "GET /ready"]
        assert {format(s.context.trace_id, "032x") for s in exported} == {logged["trace_id"]}


@pytest.mark.parametrize(("flags", "recorded"), [("01", True), ("00", False)])
def test_a_trace_continued_from_a_caller_follows_the_callers_decision(flags: str, recorded: bool) -> None:
    parent = TraceContextTextMapPropagator().extract({"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-{flags}"})

    exported, logged = _traced(0.0 if recorded else 1.0, parent)

    assert bool(exported) is recorded
    assert logged["trace_id"] == "ab" * 16


@pytest.mark.parametrize(
    ("env", "ratio"),
    [
        ({"APP_ENV": "production"}, 0.1),
        ({"APP_ENV": "development"}, 1.0),
        ({"APP_ENV": "production", "OTEL_TRACES_SAMPLER_RATIO": "0.5"}, 0.5),
        ({"APP_ENV": "development", "OTEL_TRACES_SAMPLER_RATIO": "0"}, 0.0),
    ],
)
def test_the_sampled_share_defaults_by_app_env(env: dict[str, str], ratio: float) -> None:
    settings = Settings(_env_file=None, DATABASE_URL="postgresql://x", REDIS_URL="redis://x", **env)  # type: ignore[call-arg]
    assert settings.traces_sampler_ratio == ratio


def test_a_sampled_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="OTEL_TRACES_SAMPLER_RATIO"):
        Settings(_env_file=None, DATABASE_URL="x", REDIS_URL="x", OTEL_TRACES_SAMPLER_RATIO="1.5")  # type: ignore[call-arg]


@pytest.mark.parametrize("ratio", ["0", "1"])
def test_a_gateway_process_exports_the_sampled_share_and_logs_every_trace_id(
    ratio: str,
    database_url: str,
    redis_url: str,
    inference_server: InferenceProcess,
    sms: FakeSmsServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    env = gateway_process_env(
        database_url,
        redis_url,
        inference_server.target,
        sms.url,
        OTEL_TRACES_EXPORTER="console",
        OTEL_TRACES_SAMPLER_RATIO=ratio,
    )
    with gateway_process(env) as url:
        capfd.readouterr()
        for _ in range(3):
            assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
    output = capfd.readouterr()

    text = output.out + output.err
    logged = [json.loads(line) for line in text.splitlines() if line.startswith('{"')]
    trace_ids = {e.get("trace_id") for e in logged if e.get("event") == "http_request" and e["endpoint"] == "/ready"}
    assert len(trace_ids) == 3 and None not in trace_ids
    exported = set(re.findall(r'"trace_id": "0x([0-9a-f]{32})"', text))
    if ratio == "0":
        assert exported == set()
    else:  # the job worker's own queries are traces too
        assert trace_ids <= exported


@pytest.mark.parametrize(("flags", "spans_made"), [("01", ["SELECT"]), ("00", [])])
async def test_a_query_makes_a_span_only_in_a_trace_that_is_recorded(
    spans: InMemorySpanExporter, conn: asyncpg.Connection, flags: str, spans_made: list[str]
) -> None:
    parent = TraceContextTextMapPropagator().extract({"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-{flags}"})
    token = attach(parent)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        detach(token)

    assert [s.name for s in spans.get_finished_spans()] == spans_made


async def test_a_greeting_sends_postgres_only_the_turns_first_and_last_statements(
    client: httpx.AsyncClient, api_key: str, spans: InMemorySpanExporter
) -> None:
    """The dialog reads and writes nothing for a greeting: no BEGIN and COMMIT around nothing (LazyTransaction)."""
    headers = {"X-API-Key": api_key}
    for text in ("Hola", "Buenas tardes"):  # the first admits the key and loads the clinic
        spans.clear()
        body = {"messages": [{"role": "user", "content": text}], "user_id": "+59170000003"}
        answer = await client.post("/chat", json=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["action"] == "none"

    [server] = [s for s in spans.get_finished_spans() if s.name == "POST /chat" and s.parent is None]
    statements = [
        str(s.attributes["db.statement"]).split()[:4]
        for s in spans.get_finished_spans()
        if s.context.trace_id == server.context.trace_id and s.attributes and "db.statement" in s.attributes
    ]
    assert statements == [["SELECT", "*", "FROM", "chat_turn_begin($1,"], ["WITH", "saved", "AS", "("]]
