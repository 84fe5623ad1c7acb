"""An inference server that answers at once: protos/inference.proto served by a Python function, for benchmarks
that measure the gateway and not the model.

A copy of what tests/support/fake_inference.py does, kept here so the benchmarks do not import the tests: a real
gRPC server on 127.0.0.1, reached by the gateway exactly as it reaches the model, whose reply is a fixed Spanish
sentence with a fluent score (the reply gate lets it through, so a small-talk turn goes the whole way).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any

import grpc

from protos import inference_pb2, inference_pb2_grpc

REPLY = "Me alegra mucho saberlo, gracias por contarme."
MODEL_ID = "bench/stand-in"
FLUENT_LOGPROB = -0.5


class _Servicer(inference_pb2_grpc.InferenceServicer):
    def __init__(self) -> None:
        self.requests = 0

    def Generate(self, request: inference_pb2.GenerateRequest, context: Any) -> inference_pb2.GenerateResponse:
        self.requests += 1
        return inference_pb2.GenerateResponse(
            request_id=request.request_id,
            text=REPLY,
            prompt_tokens=sum(len(turn.text.split()) for turn in request.turns),
            completion_tokens=len(REPLY.split()),
            finish_reason=inference_pb2.FINISH_REASON_EOS,
            timings=inference_pb2.Timings(total_seconds=0.0, batch_size=1),
            mean_logprob=FLUENT_LOGPROB,
            model_id=MODEL_ID,
        )

    def GenerateStream(
        self, request: inference_pb2.GenerateRequest, context: Any
    ) -> Iterator[inference_pb2.GenerateChunk]:
        reply = self.Generate(request, context)
        yield inference_pb2.GenerateChunk(
            request_id=reply.request_id,
            text=reply.text,
            completion_tokens=reply.completion_tokens,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens,
            timings=reply.timings,
            mean_logprob=reply.mean_logprob,
        )


class StandIn:
    """Where the gateway points (`target`) and how many generations it was asked for."""

    def __init__(self, servicer: _Servicer, target: str) -> None:
        self._servicer = servicer
        self.target = target

    @property
    def requests(self) -> int:
        return self._servicer.requests


@contextmanager
def stand_in_inference(*, workers: int = 8) -> Iterator[StandIn]:
    """Serve the fixed reply on a free loopback port for the duration of the block."""
    servicer = _Servicer()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    inference_pb2_grpc.add_InferenceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield StandIn(servicer, f"127.0.0.1:{port}")
    finally:
        server.stop(grace=None)
