"""The gRPC face of the model: `Generate` with request validation, and grpc.health.v1 status."""

import math
import time
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import grpc
import structlog
from grpc_health.v1 import health, health_pb2

from inference.generation import FinishReason, GenerationRequest, SamplingParams
from inference.model import LoadedModel, Prompt, build_prompt
from inference.scheduler import BatcherClosedError, Completed, DynamicBatcher
from inference.settings import InferenceSettings
from protos import inference_pb2, inference_pb2_grpc

SERVICE_NAME: Final = inference_pb2.DESCRIPTOR.services_by_name["Inference"].full_name
HEALTH_SERVICES: Final = ("", SERVICE_NAME)
WARM_UP_TURNS: Final = ("Hola, quisiera una cita.",)

_KNOWN_ROLES: Final = frozenset({inference_pb2.ROLE_USER, inference_pb2.ROLE_ASSISTANT})
_FINISH_REASONS: Final = {
    FinishReason.EOS: inference_pb2.FINISH_REASON_EOS,
    FinishReason.LENGTH: inference_pb2.FINISH_REASON_LENGTH,
}


class InvalidRequestError(ValueError):
    """The request breaks the contract; the message says how, for INVALID_ARGUMENT."""


@dataclass(frozen=True)
class PreparedRequest:
    generation: GenerationRequest
    prompt: Prompt


def _sampling_params(
    params: inference_pb2.GenerationParameters, *, settings: InferenceSettings, context_length: int
) -> SamplingParams:
    max_new_tokens = params.max_new_tokens or settings.default_max_new_tokens
    if max_new_tokens > settings.max_new_tokens_limit:
        raise InvalidRequestError(f"max_new_tokens {max_new_tokens} is over the limit {settings.max_new_tokens_limit}")
    if max_new_tokens >= context_length:
        raise InvalidRequestError(
            f"max_new_tokens {max_new_tokens} leaves no room in the context of {context_length} tokens"
        )
    if math.isnan(params.temperature) or params.temperature < 0:
        raise InvalidRequestError("temperature must be 0 (server default) or positive")
    if math.isnan(params.top_p) or not 0 <= params.top_p <= 1:
        raise InvalidRequestError("top_p must be in (0, 1], or 0 for the server default")
    return SamplingParams(
        max_new_tokens=max_new_tokens,
        do_sample=params.do_sample,
        temperature=params.temperature or settings.default_temperature,
        top_p=params.top_p or settings.default_top_p,
        seed=params.seed if params.HasField("seed") else None,
    )


def prepare_request(
    request: inference_pb2.GenerateRequest, *, settings: InferenceSettings, model: LoadedModel
) -> PreparedRequest:
    """Validate a GenerateRequest and turn it into a prompt plus decoding parameters."""
    turns = request.turns
    if not turns:
        raise InvalidRequestError("turns must not be empty")
    if len(turns) > settings.max_turns:
        raise InvalidRequestError(f"{len(turns)} turns is over the limit of {settings.max_turns}")
    for i, turn in enumerate(turns):
        if turn.role not in _KNOWN_ROLES:
            raise InvalidRequestError(f"turns[{i}].role must be ROLE_USER or ROLE_ASSISTANT")
        if not turn.text.strip():
            raise InvalidRequestError(f"turns[{i}].text must not be empty")
        if len(turn.text) > settings.max_turn_chars:
            raise InvalidRequestError(f"turns[{i}].text is longer than {settings.max_turn_chars} characters")
    params = _sampling_params(request.parameters, settings=settings, context_length=model.context_length)
    prompt = build_prompt(
        model.tokenizer,
        [turn.text for turn in turns],
        max_prompt_tokens=model.context_length - params.max_new_tokens,
    )
    return PreparedRequest(GenerationRequest(prompt.token_ids, params), prompt)


async def _abort(context: grpc.aio.ServicerContext[Any, Any], code: grpc.StatusCode, details: str) -> NoReturn:
    await context.abort(code, details)
    raise AssertionError("context.abort() returned")  # grpc raises; this tells the type checker


class ServingHealth:
    """grpc.health.v1 for the overall server and the Inference service, switched together."""

    def __init__(self) -> None:
        self.servicer = health.aio.HealthServicer()

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in HEALTH_SERVICES:
            await self.servicer.set(service, status)

    async def shut_down(self) -> None:
        """NOT_SERVING for good: later `set_serving` calls are ignored."""
        await self.servicer.enter_graceful_shutdown()


class InferenceServicer(inference_pb2_grpc.InferenceServicer):
    """Serves `Generate` once `attach` has given it a loaded model and a running batcher."""

    def __init__(self, settings: InferenceSettings, *, logger: structlog.typing.FilteringBoundLogger) -> None:
        self._settings = settings
        self._log = logger
        self._model: LoadedModel | None = None
        self._batcher: DynamicBatcher | None = None

    def attach(self, model: LoadedModel, batcher: DynamicBatcher) -> None:
        self._model = model
        self._batcher = batcher

    async def warm_up(self) -> Completed:
        """One short greedy generation through the batcher, so the first caller pays no warm-up."""
        model, batcher = self._ready()
        request = inference_pb2.GenerateRequest(
            turns=[inference_pb2.Turn(role=inference_pb2.ROLE_USER, text=t) for t in WARM_UP_TURNS],
            parameters=inference_pb2.GenerationParameters(max_new_tokens=4),
        )
        prepared = prepare_request(request, settings=self._settings, model=model)
        completed = await batcher.submit(prepared.generation)
        self._log.info("warm_up_done", inference_seconds=round(completed.inference_seconds, 4))
        return completed

    async def Generate(
        self,
        request: inference_pb2.GenerateRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> inference_pb2.GenerateResponse:
        arrived = time.monotonic()
        log = self._log.bind(request_id=request.request_id)
        if self._model is None or self._batcher is None:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the model is still loading")
        try:
            prepared = prepare_request(request, settings=self._settings, model=self._model)
        except InvalidRequestError as exc:
            log.info("generate_rejected", reason=str(exc))
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            completed = await self._batcher.submit(prepared.generation)
        except BatcherClosedError:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the server is shutting down")
        except Exception:
            log.exception("generate_failed")
            await _abort(context, grpc.StatusCode.INTERNAL, "generation failed")

        result = completed.result
        response = inference_pb2.GenerateResponse(
            request_id=request.request_id,
            text=result.text,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=_FINISH_REASONS[result.finish_reason],
            timings=inference_pb2.Timings(
                queue_seconds=completed.queue_seconds,
                inference_seconds=completed.inference_seconds,
                total_seconds=time.monotonic() - arrived,
                batch_size=completed.batch_size,
            ),
            dropped_turns=prepared.prompt.dropped_turns,
        )
        log.info(
            "generate_done",
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            dropped_turns=prepared.prompt.dropped_turns,
            finish_reason=result.finish_reason.value,
            seed=result.seed,
            batch_size=completed.batch_size,
            queue_seconds=round(completed.queue_seconds, 4),
            inference_seconds=round(completed.inference_seconds, 4),
            total_seconds=round(response.timings.total_seconds, 4),
        )
        return response

    def _ready(self) -> tuple[LoadedModel, DynamicBatcher]:
        if self._model is None or self._batcher is None:
            raise RuntimeError("no model attached")
        return self._model, self._batcher
