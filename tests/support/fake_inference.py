"""A stand-in for the inference service: a real gRPC server on 127.0.0.1 whose "model" is a Python function.

It speaks protos/inference.proto like the real server, so the gateway reaches it exactly as it reaches
the model; tests choose what the model says and read every request it was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc

from protos import inference_pb2, inference_pb2_grpc

# (role, text) pairs as the gateway sent them, oldest first -> the reply.
Model = Callable[[Sequence[tuple[str, str]]], str]
_ROLES = {inference_pb2.ROLE_USER: "user", inference_pb2.ROLE_ASSISTANT: "assistant"}


@dataclass
class FakeInference:
    """Where the gateway should point (`target`) and the histories it sent, oldest first."""

    target: str = ""
    requests: list[list[tuple[str, str]]] = field(default_factory=list)


class _Servicer(inference_pb2_grpc.InferenceServicer):
    def __init__(self, fake: FakeInference, model: Model) -> None:
        self._fake = fake
        self._model = model

    def Generate(self, request: inference_pb2.GenerateRequest, context: Any) -> inference_pb2.GenerateResponse:
        turns = [(_ROLES[turn.role], turn.text) for turn in request.turns]
        self._fake.requests.append(turns)
        text = self._model(turns)
        return inference_pb2.GenerateResponse(
            request_id=request.request_id,
            text=text,
            prompt_tokens=sum(len(t.split()) for _, t in turns),
            completion_tokens=len(text.split()),
            finish_reason=inference_pb2.FINISH_REASON_EOS,
            timings=inference_pb2.Timings(total_seconds=0.001, batch_size=1),
        )

    def GenerateStream(
        self, request: inference_pb2.GenerateRequest, context: Any
    ) -> Iterator[inference_pb2.GenerateChunk]:
        """The whole reply as one last chunk."""
        reply = self.Generate(request, context)
        yield inference_pb2.GenerateChunk(
            request_id=reply.request_id,
            text=reply.text,
            completion_tokens=reply.completion_tokens,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens,
            timings=reply.timings,
        )


@contextmanager
def fake_inference_server(model: Model) -> Iterator[FakeInference]:
    """Serve `model` over gRPC on a free port for the duration of the block."""
    fake = FakeInference()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    inference_pb2_grpc.add_InferenceServicer_to_server(_Servicer(fake, model), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake.target = f"127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.stop(grace=None)
