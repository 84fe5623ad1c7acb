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

# (role, text) pairs as the gateway sent them, oldest first -> the reply, or the reply and the mean
# log-probability the "model" gives it (a bare reply scores FLUENT_LOGPROB, above any sane threshold).
Model = Callable[[Sequence[tuple[str, str]]], str | tuple[str, float]]
FLUENT_LOGPROB = -0.5
# The model the fake says it runs unless told otherwise, as a real server names its MODEL_NAME in every answer.
FAKE_MODEL_ID = "fake/dialogpt-es"
_ROLES = {inference_pb2.ROLE_USER: "user", inference_pb2.ROLE_ASSISTANT: "assistant"}


@dataclass
class FakeInference:
    """Where the gateway should point (`target`) and the histories it sent, oldest first."""

    target: str = ""
    requests: list[list[tuple[str, str]]] = field(default_factory=list)


class _Servicer(inference_pb2_grpc.InferenceServicer):
    def __init__(self, fake: FakeInference, model: Model, model_id: str) -> None:
        self._fake = fake
        self._model = model
        self._model_id = model_id

    def Generate(self, request: inference_pb2.GenerateRequest, context: Any) -> inference_pb2.GenerateResponse:
        turns = [(_ROLES[turn.role], turn.text) for turn in request.turns]
        self._fake.requests.append(turns)
        said = self._model(turns)
        text, logprob = (said, FLUENT_LOGPROB) if isinstance(said, str) else said
        return inference_pb2.GenerateResponse(
            request_id=request.request_id,
            text=text,
            prompt_tokens=sum(len(t.split()) for _, t in turns),
            completion_tokens=len(text.split()),
            finish_reason=inference_pb2.FINISH_REASON_EOS,
            timings=inference_pb2.Timings(total_seconds=0.001, batch_size=1),
            mean_logprob=logprob,
            model_id=self._model_id,
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
            mean_logprob=reply.mean_logprob,
        )


@contextmanager
def fake_inference_server(model: Model, *, workers: int = 4, model_id: str = FAKE_MODEL_ID) -> Iterator[FakeInference]:
    """Serve `model` over gRPC on a free port for the duration of the block, `workers` requests at a time, naming
    itself `model_id` in every answer."""
    fake = FakeInference()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    inference_pb2_grpc.add_InferenceServicer_to_server(_Servicer(fake, model, model_id), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake.target = f"127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.stop(grace=None)
