"""The gRPC face of the model: `Generate`/`GenerateStream` with validation, and grpc.health.v1 status."""

import math
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import grpc
import structlog
from grpc_health.v1 import health, health_pb2
from transformers import PreTrainedTokenizerBase

from inference.generation import FinishReason, GenerationRequest, SamplingParams
from inference.metrics import InferenceMetrics
from inference.model import LoadedModel, Prompt, build_prompt
from inference.scheduler import ContinuousBatcher, GenerationStream
from inference.settings import InferenceSettings
from inference.tickets import EngineClosedError, FinishEvent, QueueFullError
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


class TextDecoder:
    """Incremental detokenization: the text added by each new token, holding back broken UTF-8."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._sent = 0

    def text(self, token_ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(token_ids), skip_special_tokens=True))

    def push(self, token_ids: Sequence[int]) -> str:
        self._ids.extend(token_ids)
        text = self.text(self._ids)
        if text.endswith("\ufffd"):  # a multi-byte character is still incomplete
            return ""
        delta, self._sent = text[self._sent :], len(text)
        return delta


def _timings(finish: FinishEvent, arrived: float, now: float) -> inference_pb2.Timings:
    line = finish.timeline
    admitted = line.admitted if line.admitted is not None else arrived
    first = line.first_token if line.first_token is not None else now
    done = line.finished if line.finished is not None else now
    return inference_pb2.Timings(
        queue_seconds=admitted - line.arrived,
        inference_seconds=done - admitted,
        total_seconds=now - arrived,
        batch_size=line.largest_batch,
        time_to_first_token_seconds=first - arrived,
    )


class InferenceServicer(inference_pb2_grpc.InferenceServicer):
    """Serves `Generate` and `GenerateStream` once `attach` has given it a model and a running batcher."""

    def __init__(
        self,
        settings: InferenceSettings,
        *,
        logger: structlog.typing.FilteringBoundLogger,
        metrics: InferenceMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._log = logger
        self._metrics = metrics
        self._model: LoadedModel | None = None
        self._batcher: ContinuousBatcher | None = None
        self._accepting = True

    def attach(self, model: LoadedModel, batcher: ContinuousBatcher) -> None:
        self._model = model
        self._batcher = batcher

    @property
    def _model_id(self) -> str:
        """The model's name as loaded (its MODEL_NAME), sent with every answer."""
        return self._model.name if self._model is not None else ""

    def stop_accepting(self) -> None:
        """New calls get UNAVAILABLE from now on; calls already in flight carry on."""
        self._accepting = False

    async def warm_up(self) -> float:
        """One short greedy generation through the batcher, so the first caller pays no warm-up."""
        model, batcher = self._ready()
        request = inference_pb2.GenerateRequest(
            turns=[inference_pb2.Turn(role=inference_pb2.ROLE_USER, text=t) for t in WARM_UP_TURNS],
            parameters=inference_pb2.GenerationParameters(max_new_tokens=4),
        )
        prepared = prepare_request(request, settings=self._settings, model=model)
        started = time.monotonic()
        await batcher.submit(prepared.generation).result()
        elapsed = time.monotonic() - started
        self._log.info("warm_up_done", inference_seconds=round(elapsed, 4))
        return elapsed

    async def _open(
        self, request: inference_pb2.GenerateRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> tuple[PreparedRequest, GenerationStream]:
        log = self._log.bind(request_id=request.request_id)
        if self._model is None or self._batcher is None:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the model is still loading")
        if not self._accepting:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the server is shutting down")
        # At capacity, refuse before validating or tokenizing anything: overload is answered in O(1).
        if self._batcher.queue_full():
            await self._refuse_queue_full(context, log, "the queue is full")
        try:
            prepared = prepare_request(request, settings=self._settings, model=self._model)
        except InvalidRequestError as exc:
            log.info("generate_rejected", reason=str(exc))
            if self._metrics is not None:
                self._metrics.rejected_request("invalid_argument")
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            stream = self._batcher.submit(prepared.generation)
        except QueueFullError as exc:  # filled up since the check above; the engine counted it
            await self._refuse_queue_full(context, log, str(exc), counted=True)
        except EngineClosedError:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the server is shutting down")
        return prepared, stream

    async def _refuse_queue_full(
        self,
        context: grpc.aio.ServicerContext[Any, Any],
        log: structlog.typing.FilteringBoundLogger,
        why: str,
        *,
        counted: bool = False,
    ) -> NoReturn:
        log.warning("generate_rejected", reason="queue_full")
        if self._metrics is not None and not counted:
            self._metrics.rejected_request("queue_full")
        await _abort(context, grpc.StatusCode.RESOURCE_EXHAUSTED, f"the server is at capacity ({why}); retry later")

    async def Generate(
        self,
        request: inference_pb2.GenerateRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> inference_pb2.GenerateResponse:
        arrived = time.monotonic()
        prepared, stream = await self._open(request, context)
        model, _ = self._ready()
        try:
            finished = await stream.result()
        except Exception:
            self._log.exception("generate_failed", request_id=request.request_id)
            await _abort(context, grpc.StatusCode.INTERNAL, "generation failed")
        finally:
            stream.close()  # no-op when finished; frees the slot when the caller went away
        text = TextDecoder(model.tokenizer).text(finished.token_ids).strip()
        response = inference_pb2.GenerateResponse(
            request_id=request.request_id,
            text=text,
            prompt_tokens=len(prepared.generation.prompt_ids),
            completion_tokens=len(finished.token_ids),
            finish_reason=_FINISH_REASONS[finished.event.reason],
            timings=_timings(finished.event, arrived, time.monotonic()),
            dropped_turns=prepared.prompt.dropped_turns,
            mean_logprob=finished.mean_logprob,
            model_id=self._model_id,
        )
        self._log_done(
            request.request_id, response.prompt_tokens, response.completion_tokens, finished.event, response.timings
        )
        return response

    async def GenerateStream(
        self,
        request: inference_pb2.GenerateRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[inference_pb2.GenerateChunk]:
        arrived = time.monotonic()
        prepared, stream = await self._open(request, context)
        model, _ = self._ready()
        decoder = TextDecoder(model.tokenizer)
        try:
            async for token_ids in stream.tokens():
                yield inference_pb2.GenerateChunk(
                    request_id=request.request_id,
                    text=decoder.push(token_ids),
                    completion_tokens=len(stream.token_ids),
                )
        except Exception:
            self._log.exception("generate_failed", request_id=request.request_id)
            await _abort(context, grpc.StatusCode.INTERNAL, "generation failed")
        finally:
            stream.close()
        assert stream.finish is not None
        timings = _timings(stream.finish, arrived, time.monotonic())
        yield inference_pb2.GenerateChunk(
            request_id=request.request_id,
            completion_tokens=len(stream.token_ids),
            finish_reason=_FINISH_REASONS[stream.finish.reason],
            prompt_tokens=len(prepared.generation.prompt_ids),
            timings=timings,
            dropped_turns=prepared.prompt.dropped_turns,
            mean_logprob=stream.mean_logprob,
            model_id=self._model_id,
        )
        self._log_done(
            request.request_id, len(prepared.generation.prompt_ids), len(stream.token_ids), stream.finish, timings
        )

    def _log_done(
        self,
        request_id: str,
        prompt_tokens: int,
        completion_tokens: int,
        finish: FinishEvent,
        timings: inference_pb2.Timings,
    ) -> None:
        self._log.info(
            "generate_done",
            request_id=request_id,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish.reason.value,
            seed=finish.seed,
            batch_size=timings.batch_size,
            queue_seconds=round(timings.queue_seconds, 4),
            ttft_seconds=round(timings.time_to_first_token_seconds, 4),
            total_seconds=round(timings.total_seconds, 4),
        )

    def _ready(self) -> tuple[LoadedModel, ContinuousBatcher]:
        if self._model is None or self._batcher is None:
            raise RuntimeError("no model attached")
        return self._model, self._batcher
