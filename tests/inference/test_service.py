"""The gRPC service in-process on a free port: Generate, batching, validation and health."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inference import service
from inference.generation import GenerationRequest, SamplingParams, forced_logprobs
from inference.model import LoadedModel, build_prompt
from inference.server import InferenceServer
from inference.service import SERVICE_NAME
from inference.settings import InferenceSettings
from protos import inference_pb2, inference_pb2_grpc
from tests.support.reference_decoder import generate

USER, ASSISTANT = inference_pb2.ROLE_USER, inference_pb2.ROLE_ASSISTANT
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def make_settings(**overrides: Any) -> InferenceSettings:
    values: dict[str, Any] = {
        "model_name": "tiny",
        "device": "cpu",
        "host": "127.0.0.1",
        "port": 0,
        "max_batch_size": 8,
        "metrics_port": None,
        "default_max_new_tokens": 16,
        "max_new_tokens_limit": 100,
        "max_turns": 8,
        "max_turn_chars": 400,
        "shutdown_grace_s": 1,
    }
    return InferenceSettings(**{**values, **overrides})


@dataclass
class Served:
    server: InferenceServer
    channel: grpc.aio.Channel
    inference: inference_pb2_grpc.InferenceStub
    health: health_pb2_grpc.HealthStub

    async def status(self, service: str = SERVICE_NAME) -> int:
        response = await self.health.Check(health_pb2.HealthCheckRequest(service=service))
        return int(response.status)


async def serve(load: Callable[[], LoadedModel], settings: InferenceSettings) -> Served:
    server = InferenceServer(settings, load_model=load, logger=structlog.get_logger("test"))
    port = await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return Served(server, channel, inference_pb2_grpc.InferenceStub(channel), health_pb2_grpc.HealthStub(channel))


@asynccontextmanager
async def serving(model: LoadedModel, **settings: Any) -> AsyncIterator[Served]:
    """A server with `model` loaded and warmed up, stopped at the end of the block."""
    running = await serve(lambda: model, make_settings(**settings))
    try:
        await running.server.serve_model()
        yield running
    finally:
        await running.channel.close()
        await running.server.stop(grace=0)


@pytest.fixture
async def served(loaded_tiny_model: LoadedModel) -> AsyncIterator[Served]:
    async with serving(loaded_tiny_model) as running:
        yield running


def conversation(*texts: str) -> list[inference_pb2.Turn]:
    return [inference_pb2.Turn(role=USER if i % 2 == 0 else ASSISTANT, text=t) for i, t in enumerate(texts)]


def generate_request(request_id: str, turns: list[inference_pb2.Turn], **params: Any) -> inference_pb2.GenerateRequest:
    return inference_pb2.GenerateRequest(
        request_id=request_id, turns=turns, parameters=inference_pb2.GenerationParameters(**params)
    )


GREETING = conversation("Hola, buenos días.", "Buenos días, ¿en qué le puedo ayudar?", "Quiero una cita para mañana.")


async def test_generate_returns_text_token_counts_and_timings(served: Served, loaded_tiny_model: LoadedModel) -> None:
    request = generate_request("req-1", GREETING, max_new_tokens=12, do_sample=True, seed=5)

    response = await served.inference.Generate(request, timeout=30)

    prompt = build_prompt(loaded_tiny_model.tokenizer, [t.text for t in GREETING], max_prompt_tokens=128 - 12)
    assert response.request_id == "req-1"
    assert response.model_id == loaded_tiny_model.name  # what the gateway's reply cache keys on
    assert response.prompt_tokens == len(prompt.token_ids)
    assert 1 <= response.completion_tokens <= 12
    assert response.finish_reason in (inference_pb2.FINISH_REASON_EOS, inference_pb2.FINISH_REASON_LENGTH)
    if response.finish_reason == inference_pb2.FINISH_REASON_LENGTH:
        assert response.completion_tokens == 12
    assert response.text == response.text.strip()
    assert "<|endoftext|>" not in response.text
    assert response.dropped_turns == 0
    timings = response.timings
    assert timings.batch_size == 1
    assert timings.inference_seconds > 0
    assert timings.queue_seconds >= 0
    assert timings.total_seconds >= timings.queue_seconds + timings.inference_seconds
    again = await served.inference.Generate(request, timeout=30)
    assert (again.text, again.completion_tokens) == (response.text, response.completion_tokens)


async def test_long_conversations_lose_their_oldest_turns(served: Served) -> None:
    turn = "Necesito cambiar la cita del martes porque tengo trabajo, ¿hay espacio el jueves por la tarde? " * 3
    request = generate_request("long", conversation(*[turn] * 8), max_new_tokens=60)

    response = await served.inference.Generate(request, timeout=30)

    assert response.dropped_turns > 0
    assert response.prompt_tokens + 60 <= 128


async def test_concurrent_requests_are_batched_and_match_their_text_alone(served: Served) -> None:
    requests = [
        generate_request(f"r{i}", conversation(*[t.text for t in GREETING][: 1 + i % 3]), do_sample=True, seed=i)
        for i in range(6)
    ]

    together = await asyncio.gather(*(served.inference.Generate(r, timeout=30) for r in requests))
    alone = [await served.inference.Generate(r, timeout=30) for r in requests]

    assert max(r.timings.batch_size for r in together) > 1
    assert {r.timings.batch_size for r in alone} == {1}
    assert [r.request_id for r in together] == [f"r{i}" for i in range(6)]
    assert [(r.text, r.completion_tokens) for r in together] == [(r.text, r.completion_tokens) for r in alone]


INVALID = {
    "no turns": generate_request("x", []),
    "unspecified role": generate_request("x", [inference_pb2.Turn(role=inference_pb2.ROLE_UNSPECIFIED, text="Hola")]),
    "unknown role": generate_request("x", [inference_pb2.Turn(role=7, text="Hola")]),  # type: ignore[arg-type]
    "empty text": generate_request("x", conversation("Hola", "")),
    "blank text": generate_request("x", conversation("   \n")),
    "too many turns": generate_request("x", conversation(*["Hola"] * 9)),
    "text too long": generate_request("x", conversation("a" * 401)),
    "max_new_tokens over limit": generate_request("x", GREETING, max_new_tokens=101),
    "negative temperature": generate_request("x", GREETING, do_sample=True, temperature=-0.5),
    "top_p above 1": generate_request("x", GREETING, do_sample=True, top_p=1.5),
    "negative top_p": generate_request("x", GREETING, do_sample=True, top_p=-0.1),
}


@pytest.mark.parametrize("request_", INVALID.values(), ids=INVALID.keys())
async def test_invalid_requests_are_refused_with_invalid_argument(
    served: Served, request_: inference_pb2.GenerateRequest
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await served.inference.Generate(request_, timeout=30)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details()


async def test_max_new_tokens_that_fill_the_context_is_refused(loaded_tiny_model: LoadedModel) -> None:
    async with serving(loaded_tiny_model, max_new_tokens_limit=200) as running:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await running.inference.Generate(generate_request("x", GREETING, max_new_tokens=128), timeout=30)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "context" in (raised.value.details() or "")


async def test_health_is_serving_only_after_load_and_warm_up_and_not_serving_from_stop(
    loaded_tiny_model: LoadedModel,
) -> None:
    loaded = threading.Event()

    def slow_load() -> LoadedModel:
        loaded.wait(timeout=10)
        return loaded_tiny_model

    running = await serve(slow_load, make_settings())
    try:
        assert await running.status() == NOT_SERVING
        assert await running.status("") == NOT_SERVING
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await running.inference.Generate(generate_request("early", GREETING), timeout=30)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE

        watch = running.health.Watch(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
        assert (await watch.read()).status == NOT_SERVING
        serving = asyncio.create_task(running.server.serve_model())
        await asyncio.sleep(0.2)
        assert await running.status() == NOT_SERVING
        loaded.set()
        assert (await asyncio.wait_for(watch.read(), timeout=30)).status == SERVING
        assert running.server.batcher is not None
        warmed = running.server.metrics.registry.get_sample_value("inference_requests_total", {"outcome": "ok"})
        assert warmed == 1  # the warm-up ran before SERVING
        await serving
        assert await running.status("") == SERVING

        stopping = asyncio.create_task(running.server.stop(grace=1))
        assert (await asyncio.wait_for(watch.read(), timeout=10)).status == NOT_SERVING
        await stopping
    finally:
        loaded.set()
        await running.channel.close()
        await running.server.stop(grace=0)


async def test_stream_yields_text_as_it_is_generated_and_ends_like_generate(served: Served) -> None:
    request = generate_request("s-1", GREETING, max_new_tokens=20, do_sample=True, seed=11)

    chunks = [chunk async for chunk in served.inference.GenerateStream(request, timeout=30)]
    whole = await served.inference.Generate(request, timeout=30)

    *tokens, last = chunks
    assert [c.completion_tokens for c in tokens] == list(range(1, len(tokens) + 1))
    assert last.finish_reason == whole.finish_reason
    assert last.completion_tokens == whole.completion_tokens == len(tokens)
    assert "".join(c.text for c in tokens).strip() == whole.text
    assert last.prompt_tokens == whole.prompt_tokens
    assert 0 < last.timings.time_to_first_token_seconds <= last.timings.total_seconds


async def test_a_full_queue_answers_resource_exhausted_at_once(loaded_tiny_model: LoadedModel) -> None:
    async with serving(loaded_tiny_model, max_batch_size=1, max_queue=1) as running:
        long = generate_request("long", GREETING, max_new_tokens=100, do_sample=True, seed=1)
        results = await asyncio.gather(
            *(running.inference.Generate(long, timeout=60) for _ in range(5)), return_exceptions=True
        )
        codes = [r.code() for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert codes and set(codes) == {grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert sum(isinstance(r, inference_pb2.GenerateResponse) for r in results) >= 1
        rejected = running.server.metrics.registry.get_sample_value(
            "inference_rejected_requests_total", {"reason": "queue_full"}
        )
        assert rejected == len(codes)


async def test_a_caller_past_its_deadline_frees_its_slot(loaded_tiny_model: LoadedModel) -> None:
    # Rows end only by length, so the long request is still running whatever the tiny model writes.
    never_eos = dataclasses.replace(loaded_tiny_model, eos_token_id=-1)
    async with serving(never_eos, max_batch_size=1, max_new_tokens_limit=110) as running:
        # Slow every step down so the long request is still running when its deadline passes.
        engine_step = running.server.batcher._engine._decode_step  # type: ignore[union-attr]

        def slow_step() -> None:
            threading.Event().wait(0.02)
            engine_step()

        running.server.batcher._engine._decode_step = slow_step  # type: ignore[union-attr,method-assign]
        slow = generate_request("slow", GREETING, max_new_tokens=110, do_sample=True, seed=3)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await running.inference.Generate(slow, timeout=0.3)
        assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

        # With one slot, this only runs once the abandoned request has left the batch.
        quick = await running.inference.Generate(generate_request("next", GREETING, max_new_tokens=3), timeout=10)
        assert quick.completion_tokens >= 1
        assert quick.timings.queue_seconds < 1.0
        cancelled = running.server.metrics.registry.get_sample_value(
            "inference_requests_total", {"outcome": "cancelled"}
        )
        assert cancelled == 1


async def test_drain_finishes_requests_in_flight_and_refuses_new_ones(loaded_tiny_model: LoadedModel) -> None:
    async with serving(loaded_tiny_model, shutdown_grace_s=30) as running:
        in_flight = asyncio.ensure_future(
            running.inference.Generate(generate_request("inflight", GREETING, max_new_tokens=40), timeout=30)
        )
        await asyncio.sleep(0.05)
        stopping = asyncio.create_task(running.server.stop())
        await asyncio.sleep(0.05)
        with pytest.raises(grpc.aio.AioRpcError):
            await running.inference.Generate(generate_request("late", GREETING), timeout=5)
        response = await in_flight
        assert response.completion_tokens >= 1
        await stopping


async def test_metrics_are_served_on_their_own_port(loaded_tiny_model: LoadedModel) -> None:
    import httpx

    async with serving(loaded_tiny_model, metrics_port=0) as running:
        await running.inference.Generate(generate_request("m", GREETING, max_new_tokens=5), timeout=30)
        assert running.server.metrics_port
        async with httpx.AsyncClient() as client:
            page = (await client.get(f"http://127.0.0.1:{running.server.metrics_port}/metrics")).text
        for name in (
            "inference_queue_length",
            "inference_running_batch_size",
            "inference_time_to_first_token_seconds_bucket",
            "inference_time_per_output_token_seconds_bucket",
            "inference_request_latency_seconds_bucket",
            "inference_generated_tokens_total",
            "inference_rejected_requests_total",
        ):
            assert name in page


async def test_a_full_queue_refuses_before_reading_the_request(
    loaded_tiny_model: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(loaded_tiny_model, max_batch_size=1, max_queue=1, max_new_tokens_limit=110) as running:
        assert running.server.batcher is not None
        engine = running.server.batcher._engine
        engine_step = engine._decode_step

        def slow_step() -> None:
            threading.Event().wait(0.02)
            engine_step()

        engine._decode_step = slow_step  # type: ignore[method-assign]
        holder = running.inference.GenerateStream(generate_request("holder", GREETING, max_new_tokens=110), timeout=60)
        await holder.read()  # its first token: it holds the only slot
        queued = asyncio.ensure_future(
            running.inference.Generate(generate_request("queued", GREETING, max_new_tokens=2), timeout=60)
        )
        for _ in range(1000):  # until "queued" is waiting: the queue is full
            if engine.waiting:
                break
            await asyncio.sleep(0.01)
        prepared: list[inference_pb2.GenerateRequest] = []
        prepare = service.prepare_request

        def spy(request: inference_pb2.GenerateRequest, **kwargs: Any) -> Any:
            prepared.append(request)
            return prepare(request, **kwargs)

        monkeypatch.setattr("inference.service.prepare_request", spy)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await running.inference.Generate(generate_request("refused", GREETING, max_new_tokens=2), timeout=10)

        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert prepared == []  # refused without being validated or tokenized
        rejected = running.server.metrics.registry.get_sample_value(
            "inference_rejected_requests_total", {"reason": "queue_full"}
        )
        assert rejected == 1
        holder.cancel()
        assert (await queued).completion_tokens >= 1


def _forced_mean(model: LoadedModel, prompt_ids: list[int], reply_ids: list[int]) -> float:
    logprobs = forced_logprobs(model, prompt_ids, reply_ids)
    return sum(logprobs) / len(logprobs)


async def test_generate_reports_the_models_mean_logprob_of_the_tokens_it_chose(
    served: Served, loaded_tiny_model: LoadedModel
) -> None:
    turns = conversation("gracias")
    greedy = await served.inference.Generate(generate_request("lp-greedy", turns, max_new_tokens=12), timeout=30)
    sampled = await served.inference.Generate(
        generate_request("lp-sampled", turns, max_new_tokens=12, do_sample=True, temperature=0.8, top_p=0.9, seed=3),
        timeout=30,
    )

    for response in (greedy, sampled):
        assert response.HasField("mean_logprob")
        assert response.mean_logprob <= 0
    # The same number teacher-forcing the greedy tokens gives: log-softmax of the raw logits, EOS included.
    prompt = build_prompt(loaded_tiny_model.tokenizer, ["gracias"], max_prompt_tokens=128 - 12)
    [reference] = generate(loaded_tiny_model, [GenerationRequest(prompt.token_ids, SamplingParams(max_new_tokens=12))])
    assert reference.text == greedy.text
    assert greedy.mean_logprob == pytest.approx(_forced_mean(loaded_tiny_model, prompt.token_ids, reference.token_ids))


async def test_the_stream_ends_with_the_same_mean_logprob_as_generate(served: Served) -> None:
    request = generate_request("lp-stream", conversation("gracias"), max_new_tokens=12, do_sample=True, seed=9)

    whole = await served.inference.Generate(request, timeout=30)
    chunks = [chunk async for chunk in served.inference.GenerateStream(request, timeout=30)]

    assert not any(chunk.HasField("mean_logprob") for chunk in chunks[:-1])
    assert chunks[-1].mean_logprob == pytest.approx(whole.mean_logprob)
    assert chunks[-1].model_id == whole.model_id != ""


def test_a_broken_reply_forced_through_the_model_scores_lower_than_a_fluent_one(
    loaded_tiny_model: LoadedModel,
) -> None:
    tokenizer, eos = loaded_tiny_model.tokenizer, loaded_tiny_model.eos_token_id
    prompt = build_prompt(tokenizer, ["gracias"], max_prompt_tokens=100).token_ids

    def score(reply: str) -> float:
        return _forced_mean(loaded_tiny_model, prompt, [*tokenizer.encode(reply, add_special_tokens=False), eos])

    # The same words in an order no one speaks, and the QA's word salad, against two natural replies.
    for fluent, broken in (
        ("Con gusto, aquí estamos para ayudarle.", "ayudarle para estamos aquí gusto con"),
        ("Hola, ¿en qué le puedo ayudar?", "puedo ayudar le qué en hola"),
        ("Hola, ¿en qué le puedo ayudar?", "Jimenado  recomiendo una llevar una orden. Por necesito su médico, lo"),
    ):
        assert score(broken) < score(fluent), broken
