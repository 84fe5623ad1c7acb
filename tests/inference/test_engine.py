"""Continuous batching: rows join and leave every step, and each request still gets its own tokens."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict

import pytest
import torch

from inference.batch import packed_prefill_inputs
from inference.engine import Engine
from inference.generation import FinishReason, GenerationRequest, SamplingParams, forced_logprobs
from inference.model import LoadedModel
from inference.tickets import EngineLimits, Event, FailEvent, FinishEvent, QueueFullError, Ticket, TokenEvent
from tests.inference.test_generation import prompts
from tests.support.reference_decoder import generate


def limits(**overrides: int | float) -> EngineLimits:
    values: dict[str, int | float] = {
        "max_batch_size": 3,
        "max_queue": 64,
        "max_tokens_in_flight": 10_000,
        "max_prefill_tokens": 40,
        "max_queue_age_s": 60.0,
        "kv_capacity": 160,
        "short_request_tokens": 0,
        **overrides,
    }
    return EngineLimits(**values)  # type: ignore[arg-type]


class Collector:
    """An event sink that records every ticket's tokens and end."""

    def __init__(self) -> None:
        self.tokens: dict[Ticket, list[int]] = defaultdict(list)
        self.logprobs: dict[Ticket, list[float]] = defaultdict(list)
        self.finished: dict[Ticket, FinishEvent] = {}
        self.failed: dict[Ticket, BaseException] = {}
        self.batches = 0
        self._done = threading.Condition()

    def __call__(self, events: list[tuple[Ticket, Event]]) -> None:
        with self._done:
            self.batches += 1
            for ticket, event in events:
                if isinstance(event, TokenEvent):
                    self.tokens[ticket].extend(event.token_ids)
                    self.logprobs[ticket].extend(event.logprobs)
                elif isinstance(event, FinishEvent):
                    self.finished[ticket] = event
                elif isinstance(event, FailEvent):
                    self.failed[ticket] = event.error
            self._done.notify_all()

    def wait_for(self, tickets: list[Ticket], timeout: float = 60) -> None:
        with self._done:
            ok = self._done.wait_for(lambda: all(t in self.finished or t in self.failed for t in tickets), timeout)
        assert ok, "requests did not finish"


def drive(
    model: LoadedModel, requests: list[GenerationRequest], *, never_eos: bool = False, **overrides: int | float
) -> tuple[Collector, list[Ticket]]:
    """Run `requests` (submitted together) to their end; `never_eos` makes rows end only by length."""
    engine = Engine(dataclasses.replace(model, eos_token_id=-1) if never_eos else model, limits(**overrides))
    sink = Collector()
    engine.start(sink)
    try:
        tickets = [engine.submit(r) for r in requests]
        sink.wait_for(tickets)
    finally:
        engine.stop(timeout=30)
    assert not sink.failed
    return sink, tickets


def run_engine(model: LoadedModel, requests: list[GenerationRequest], **overrides: int | float) -> list[list[int]]:
    sink, tickets = drive(model, requests, **overrides)
    return [sink.tokens[t] for t in tickets]


@pytest.mark.parametrize("prefill_tokens", [7, 40, 1000])
def test_greedy_tokens_match_running_alone_while_rows_join_and_leave(
    loaded_tiny_model: LoadedModel, prefill_tokens: int
) -> None:
    # Three slots for nine requests of very different lengths: rows keep joining mid-flight,
    # longer prompts shift the batch right, finished rows hand their slot over, and with a
    # small prefill budget long prompts go in by chunks while the batch keeps decoding.
    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=[3, 20, 7, 12, 30, 5, 16, 9, 25][i]))
        for i, ids in enumerate(prompts(loaded_tiny_model))
    ]
    continuous = run_engine(loaded_tiny_model, requests, max_prefill_tokens=prefill_tokens)
    alone = [generate(loaded_tiny_model, [r])[0].token_ids for r in requests]
    assert continuous == alone
    assert sum(len(t) for t in continuous) > 2 * len(requests)


def test_each_token_carries_the_models_log_probability_of_it_whatever_the_batch_and_sampling(
    loaded_tiny_model: LoadedModel,
) -> None:
    # Rows join, leave and sample with other temperatures: each token's number is still the log-softmax of
    # the raw logits at its own row, what teacher-forcing the row's tokens after its prompt gives.
    requests = [
        GenerationRequest(
            ids, SamplingParams(max_new_tokens=6 + i, do_sample=i % 2 == 1, temperature=0.7, top_p=0.8, seed=i)
        )
        for i, ids in enumerate(prompts(loaded_tiny_model))
    ]
    sink, tickets = drive(loaded_tiny_model, requests, never_eos=True)

    for request, ticket in zip(requests, tickets, strict=True):
        tokens, logprobs = sink.tokens[ticket], sink.logprobs[ticket]
        assert len(logprobs) == len(tokens)
        assert all(value <= 0 for value in logprobs)
        assert logprobs == pytest.approx(forced_logprobs(loaded_tiny_model, request.prompt_ids, tokens), abs=1e-6)


@pytest.mark.parametrize("batch_size", [1, 2, 5, 9])
def test_seeded_sampling_matches_running_alone_for_any_batch_size(
    loaded_tiny_model: LoadedModel, batch_size: int
) -> None:
    requests = [
        GenerationRequest(
            ids, SamplingParams(max_new_tokens=10 + i, do_sample=True, temperature=0.9, top_p=0.9, seed=i)
        )
        for i, ids in enumerate(prompts(loaded_tiny_model))
    ]
    continuous = run_engine(loaded_tiny_model, requests, max_batch_size=batch_size)
    alone = [generate(loaded_tiny_model, [r])[0].token_ids for r in requests]
    assert continuous == alone


def test_a_buffer_as_wide_as_the_context_keeps_outputs_exact(loaded_tiny_model: LoadedModel) -> None:
    # Every row decodes up to the last column the context allows.
    context = loaded_tiny_model.context_length
    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=context - len(ids))) for ids in prompts(loaded_tiny_model)
    ]
    continuous = run_engine(loaded_tiny_model, requests, kv_capacity=loaded_tiny_model.context_length)
    alone = [generate(loaded_tiny_model, [r])[0].token_ids for r in requests]
    assert continuous == alone


def test_a_full_queue_rejects_at_once(loaded_tiny_model: LoadedModel) -> None:
    engine = Engine(loaded_tiny_model, limits(max_queue=2))
    request = GenerationRequest([1, 2, loaded_tiny_model.eos_token_id], SamplingParams(max_new_tokens=4))
    # Not started: nothing drains the queue.
    engine._accepting = True
    engine.submit(request)
    engine.submit(request)
    with pytest.raises(QueueFullError):
        engine.submit(request)


def test_a_cancelled_request_leaves_the_batch_at_the_next_step(loaded_tiny_model: LoadedModel) -> None:
    # No token ends a row early, and every step takes a while: the long row can only leave by cancelling.
    engine = Engine(dataclasses.replace(loaded_tiny_model, eos_token_id=-1), limits(max_batch_size=2))
    step = engine._decode_step

    def slow_step() -> None:
        time.sleep(0.005)
        step()

    engine._decode_step = slow_step  # type: ignore[method-assign]
    sink = Collector()
    engine.start(sink)
    try:
        ids = prompts(loaded_tiny_model)
        long = GenerationRequest(ids[3], SamplingParams(max_new_tokens=100))
        never_ending = engine.submit(long)
        with sink._done:
            assert sink._done.wait_for(lambda: len(sink.tokens[never_ending]) >= 3, 30)
        never_ending.cancel()
        short = engine.submit(GenerationRequest(ids[4], SamplingParams(max_new_tokens=4)))
        other = engine.submit(GenerationRequest(ids[5], SamplingParams(max_new_tokens=4)))
        sink.wait_for([short, other])
        assert never_ending not in sink.finished
        # Both newcomers ran to their length; with two slots that needs the cancelled row's slot.
        assert len(sink.tokens[short]) == len(sink.tokens[other]) == 4
        assert sink.finished[short].reason == FinishReason.LENGTH
        assert len(sink.tokens[never_ending]) < 50
        assert engine.running == 0
    finally:
        engine.stop(timeout=30)


def test_stop_finishes_running_and_queued_requests(loaded_tiny_model: LoadedModel) -> None:
    engine = Engine(loaded_tiny_model, limits(max_batch_size=2))
    sink = Collector()
    engine.start(sink)
    requests = [GenerationRequest(ids, SamplingParams(max_new_tokens=8)) for ids in prompts(loaded_tiny_model)[:5]]
    tickets = [engine.submit(r) for r in requests]
    engine.stop(timeout=60)
    assert set(sink.finished) == set(tickets)


def test_a_failing_step_fails_its_rows_and_the_engine_goes_on(loaded_tiny_model: LoadedModel) -> None:
    engine = Engine(loaded_tiny_model, limits())
    sink = Collector()
    engine.start(sink)
    try:
        original = engine._decode_step
        calls = {"n": 0}

        def broken() -> None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("boom")
            original()

        engine._decode_step = broken  # type: ignore[method-assign]
        ids = prompts(loaded_tiny_model)
        first = engine.submit(GenerationRequest(ids[2], SamplingParams(max_new_tokens=20)))
        sink.wait_for([first])
        assert isinstance(sink.failed.get(first), RuntimeError)
        engine._decode_step = original  # type: ignore[method-assign]
        second = engine.submit(GenerationRequest(ids[2], SamplingParams(max_new_tokens=5)))
        sink.wait_for([second])
        assert second in sink.finished
    finally:
        engine.stop(timeout=30)


def test_prompt_longer_than_the_context_is_refused(loaded_tiny_model: LoadedModel) -> None:
    engine = Engine(loaded_tiny_model, limits())
    too_long = list(range(1, loaded_tiny_model.context_length))
    with pytest.raises(ValueError, match="exceed the context"):
        engine.submit(GenerationRequest(too_long, SamplingParams(max_new_tokens=8)))


def test_decoding_runs_in_float64_for_these_tests(loaded_tiny_model: LoadedModel) -> None:
    assert next(loaded_tiny_model.model.parameters()).dtype == torch.float64


def test_a_short_request_decodes_without_waiting_for_long_prompts(loaded_tiny_model: LoadedModel) -> None:
    # Without the protection the long request, prefilled in small chunks, would join (and emit
    # its first token) while the short one still had most of its steps to go.
    ids = prompts(loaded_tiny_model)
    requests = [
        GenerationRequest(ids[2], SamplingParams(max_new_tokens=12)),
        GenerationRequest(ids[3], SamplingParams(max_new_tokens=30)),
    ]
    sink, (short, long) = drive(
        loaded_tiny_model, requests, never_eos=True, max_prefill_tokens=4, short_request_tokens=16
    )
    assert len(sink.tokens[short]) == 12 and len(sink.tokens[long]) == 30
    short_done, long_first = short.timeline.finished, long.timeline.first_token
    assert short_done is not None and long_first is not None
    assert short_done <= long_first


def test_while_a_short_request_decodes_only_requests_no_longer_are_prefilled(loaded_tiny_model: LoadedModel) -> None:
    ids = prompts(loaded_tiny_model)
    requests = [
        GenerationRequest(ids[2], SamplingParams(max_new_tokens=4)),
        GenerationRequest(ids[3], SamplingParams(max_new_tokens=12)),
    ]
    _, (shortest, short) = drive(
        loaded_tiny_model, requests, never_eos=True, max_prefill_tokens=4, short_request_tokens=16
    )
    finished, first = shortest.timeline.finished, short.timeline.first_token
    assert finished is not None and first is not None
    assert finished <= first


def test_tokens_in_flight_limit_holds_a_request_until_room_frees(loaded_tiny_model: LoadedModel) -> None:
    ids = prompts(loaded_tiny_model)
    # Room for one of them at a time (9 + 20 and 5 + 20 tokens reserved), though slots are free.
    requests = [
        GenerationRequest(ids[3], SamplingParams(max_new_tokens=20)),
        GenerationRequest(ids[2], SamplingParams(max_new_tokens=20)),
    ]
    _, (one, two) = drive(loaded_tiny_model, requests, never_eos=True, max_batch_size=4, max_tokens_in_flight=35)
    (a, b) = sorted(
        [one.timeline, two.timeline], key=lambda line: line.arrived if line.admitted is None else line.admitted
    )
    assert a.finished is not None and b.admitted is not None
    assert b.admitted >= a.finished  # one after the other
    assert one.timeline.largest_batch == two.timeline.largest_batch == 1


def test_a_request_failing_as_it_joins_gets_its_failure(loaded_tiny_model: LoadedModel) -> None:
    engine = Engine(loaded_tiny_model, limits())

    def broken_join(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no room")

    engine._join = broken_join  # type: ignore[assignment,method-assign]
    sink = Collector()
    engine.start(sink)
    try:
        ticket = engine.submit(GenerationRequest(prompts(loaded_tiny_model)[2], SamplingParams(max_new_tokens=5)))
        sink.wait_for([ticket])
    finally:
        engine.stop(timeout=30)
    assert isinstance(sink.failed.get(ticket), RuntimeError)
    assert engine.running == 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_short_requests_go_first_even_past_requests_that_waited_long(loaded_tiny_model: LoadedModel) -> None:
    clock = FakeClock()
    engine = Engine(loaded_tiny_model, limits(max_queue_age_s=2.0, short_request_tokens=8), clock=clock)
    engine._accepting = True  # not started: the test picks by hand
    ids = prompts(loaded_tiny_model)
    old_long = engine.submit(GenerationRequest(ids[3], SamplingParams(max_new_tokens=30)))
    clock.now = 1.0
    fresh_long = engine.submit(GenerationRequest(ids[2], SamplingParams(max_new_tokens=20)))
    clock.now = 2.5  # the first long request has waited past max_queue_age_s, the second has not
    short = engine.submit(GenerationRequest(ids[4], SamplingParams(max_new_tokens=8)))

    assert [engine._pick_next(), engine._pick_next(), engine._pick_next()] == [short, old_long, fresh_long]


def test_whole_prompts_are_prefilled_together_and_match_running_alone(loaded_tiny_model: LoadedModel) -> None:
    model = loaded_tiny_model.model
    forward = model.forward
    prompt_passes: list[int] = []

    def counting_forward(*args: object, **kwargs: object) -> object:
        input_ids = kwargs["input_ids"]
        assert isinstance(input_ids, torch.Tensor)
        if input_ids.shape[-1] > 1:
            prompt_passes.append(input_ids.shape[-1])
        return forward(*args, **kwargs)

    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=6 + i)) for i, ids in enumerate(prompts(loaded_tiny_model))
    ]
    model.forward = counting_forward  # type: ignore[method-assign]
    try:
        continuous = run_engine(loaded_tiny_model, requests, max_batch_size=9, max_prefill_tokens=1000)
    finally:
        del model.forward
    alone = [generate(loaded_tiny_model, [r])[0].token_ids for r in requests]
    assert continuous == alone
    # All nine prompts fit the budget together: one forward pass prefills the whole burst.
    assert prompt_passes == [sum(len(r.prompt_ids) for r in requests)]


def test_packed_prompts_count_positions_from_zero_and_see_only_themselves() -> None:
    positions, mask, last = packed_prefill_inputs([2, 3], torch.device("cpu"))

    assert positions.tolist() == [[0, 1, 0, 1, 2]]
    assert last.tolist() == [1, 4]
    assert mask is not None
    assert mask[0, 0].int().tolist() == [
        [1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 1, 1, 1],
    ]


def test_a_request_cancelled_while_waiting_gives_its_place_in_the_queue_back(loaded_tiny_model: LoadedModel) -> None:
    engine = Engine(loaded_tiny_model, limits(max_queue=2))
    engine._accepting = True  # not started: nothing drains the queue
    request = GenerationRequest([1, 2, loaded_tiny_model.eos_token_id], SamplingParams(max_new_tokens=4))
    first = engine.submit(request)
    engine.submit(request)
    assert engine.queue_full()

    first.cancel()
    engine.wake()  # what a stream closed by its caller does

    assert not engine.queue_full()
    engine.submit(request)
    assert engine.queue_full()
