"""One trace per /chat request: the HTTP span, the database queries and the gRPC call share its id."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.gateway import MakeClient
from tests.support.services import start_inference_process


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
