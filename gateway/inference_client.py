"""The gateway's side of the gRPC contract in protos/inference.proto."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.errors import InferenceUnavailable
from protos import inference_pb2, inference_pb2_grpc

SERVICE_NAME = "clinic.inference.v1.Inference"
_ROLES = {"user": inference_pb2.ROLE_USER, "assistant": inference_pb2.ROLE_ASSISTANT}
_FINISH_REASONS = {inference_pb2.FINISH_REASON_EOS: "eos", inference_pb2.FINISH_REASON_LENGTH: "length"}


@dataclass(frozen=True)
class GenerationParameters:
    max_new_tokens: int
    temperature: float
    top_p: float
    do_sample: bool = True
    seed: int | None = None


@dataclass(frozen=True)
class Generated:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    server_seconds: float
    batch_size: int
    mean_logprob: float | None = None  # the model's own score of the text; None when the server sent none
    model_id: str = ""  # the model that wrote it, as the server names it


class InferenceClient:
    """A long-lived channel to the inference service; one per gateway process."""

    def __init__(self, target: str, *, timeout_seconds: float) -> None:
        self._target = target
        self._timeout = timeout_seconds
        self._channel = grpc.aio.insecure_channel(
            target,
            # Reconnect within seconds when the server comes back (gRPC's default backoff grows to 2 min),
            # so the breaker's trial call after its reset finds a live channel.
            options=[
                ("grpc.initial_reconnect_backoff_ms", 250),
                ("grpc.min_reconnect_backoff_ms", 250),
                ("grpc.max_reconnect_backoff_ms", 2000),
            ],
        )
        self._inference = inference_pb2_grpc.InferenceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._model_id: str | None = None

    @property
    def model_id(self) -> str | None:
        """The model the server last said it serves (None until it has answered once)."""
        return self._model_id

    async def generate(
        self,
        turns: Sequence[tuple[Literal["user", "assistant"], str]],
        parameters: GenerationParameters,
        *,
        request_id: str,
        timeout_seconds: float | None = None,
    ) -> Generated:
        """The model's next turn, within `timeout_seconds` (default: the client's).

        Raises `InferenceUnavailable`, with the gRPC status, on any failure or timeout.
        """
        request = inference_pb2.GenerateRequest(
            request_id=request_id,
            turns=[inference_pb2.Turn(role=_ROLES[role], text=text) for role, text in turns],
            parameters=inference_pb2.GenerationParameters(
                max_new_tokens=parameters.max_new_tokens,
                do_sample=parameters.do_sample,
                temperature=parameters.temperature,
                top_p=parameters.top_p,
                seed=parameters.seed,
            ),
        )
        try:
            reply = await self._inference.Generate(request, timeout=timeout_seconds or self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise InferenceUnavailable(
                f"the assistant's language model is not answering ({exc.code().name}); please retry shortly",
                status=exc.code().name,
            ) from exc
        if reply.model_id:
            self._model_id = reply.model_id
        return Generated(
            text=reply.text,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            finish_reason=_FINISH_REASONS.get(reply.finish_reason, "unspecified"),
            server_seconds=reply.timings.total_seconds,
            batch_size=reply.timings.batch_size,
            mean_logprob=reply.mean_logprob if reply.HasField("mean_logprob") else None,
            model_id=reply.model_id,
        )

    async def is_serving(self, *, timeout_seconds: float) -> bool:
        """True when the server's standard health service says SERVING for the inference service."""
        try:
            answer = await self._health.Check(
                health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=timeout_seconds
            )
        except grpc.aio.AioRpcError:
            return False
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    async def close(self) -> None:
        await self._channel.close()
