"""`python -m inference` as a process: ready line, health, a reply, clean exit on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inference.service import SERVICE_NAME
from protos import inference_pb2, inference_pb2_grpc
from tests.support.services import start_inference_process


def test_the_server_process_serves_and_exits_cleanly_on_sigterm(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFERENCE_TORCH_THREADS", "1")
    process = start_inference_process(tiny_model, timeout=60)
    try:
        with grpc.insecure_channel(process.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("", SERVICE_NAME):
                status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status
                assert status == health_pb2.HealthCheckResponse.SERVING
            reply = inference_pb2_grpc.InferenceStub(channel).Generate(
                inference_pb2.GenerateRequest(
                    request_id="proc-1",
                    turns=[inference_pb2.Turn(role=inference_pb2.ROLE_USER, text="Hola, ¿atienden hoy?")],
                    parameters=inference_pb2.GenerationParameters(max_new_tokens=8, do_sample=True, seed=1),
                ),
                timeout=30,
            )
        assert reply.request_id == "proc-1"
        assert 1 <= reply.completion_tokens <= 8

        assert process.child.stop(timeout=30) == 0
    finally:
        process.stop()
    log = process.child.text
    assert f"INFERENCE_READY port={process.port}" in log
    assert "event='inference_serving'" in log
    assert "request_id='proc-1'" in log
