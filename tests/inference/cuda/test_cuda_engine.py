"""The engine on a GPU: half precision, the same tokens as alone, one device-to-host copy per decode step."""

from __future__ import annotations

import torch
from torch.profiler import ProfilerActivity, profile

from inference.batch import allocate
from inference.generation import GenerationRequest, SamplingParams
from inference.kv_cache import SlotLayer
from inference.model import LoadedModel
from tests.inference.test_engine import drive, limits, run_engine
from tests.inference.test_generation import prompts
from tests.support.reference_decoder import generate


def test_the_server_loads_the_model_in_half_precision_on_the_gpu(half_model: LoadedModel) -> None:
    parameters = list(half_model.model.parameters())
    assert {p.device.type for p in parameters} == {"cuda"}
    assert {p.dtype for p in parameters} == {torch.float16}
    cache, slots = allocate(half_model, limits())
    layer = cache.layers[0]
    assert isinstance(layer, SlotLayer)
    assert (layer.buffer_keys.device.type, layer.buffer_keys.dtype) == ("cuda", torch.float16)
    assert slots.tokens.device.type == "cuda"


def test_greedy_and_seeded_tokens_on_the_gpu_match_running_alone(exact_model: LoadedModel) -> None:
    requests = [
        GenerationRequest(
            ids, SamplingParams(max_new_tokens=[3, 20, 7, 12, 30, 5, 16, 9, 25][i], do_sample=i % 3 == 1, seed=i)
        )
        for i, ids in enumerate(prompts(exact_model))
    ]
    continuous = run_engine(exact_model, requests, max_prefill_tokens=40)
    alone = [generate(exact_model, [r])[0].token_ids for r in requests]
    assert continuous == alone


def test_half_precision_decoding_gives_finite_log_probabilities_and_the_prompts_greedy_first_token(
    half_model: LoadedModel,
) -> None:
    requests = [GenerationRequest(ids, SamplingParams(max_new_tokens=12)) for ids in prompts(half_model)]
    sink, tickets = drive(half_model, requests, never_eos=True)
    for request, ticket in zip(requests, tickets, strict=True):
        assert len(sink.tokens[ticket]) == 12
        assert all(-1e4 < value <= 0 for value in sink.logprobs[ticket])
        # The first token comes from the prompt alone, the same shape either way: no rounding can differ.
        assert sink.tokens[ticket][0] == generate(half_model, [request])[0].token_ids[0]


def test_each_decode_step_copies_from_the_gpu_once(half_model: LoadedModel) -> None:
    """A step's ids and log-probabilities come back in one copy; each joining request adds one for its first
    token. Any other copy (an `.item()`, a Python `if` on a tensor) stalls the GPU once more per step."""
    steps = 0

    def count_decode_steps(_module: torch.nn.Module, args: tuple[object, ...], kwargs: dict[str, object]) -> None:
        nonlocal steps
        ids = kwargs.get("input_ids")
        steps += isinstance(ids, torch.Tensor) and ids.shape[-1] == 1

    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=10 + i)) for i, ids in enumerate(prompts(half_model))
    ]
    hook = half_model.model.register_forward_pre_hook(count_decode_steps, with_kwargs=True)
    try:
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as profiler:
            drive(half_model, requests, never_eos=True, max_batch_size=4)
            torch.cuda.synchronize()
    finally:
        hook.remove()
    copies = sum(1 for event in profiler.events() if event.name.startswith("Memcpy DtoH"))
    assert steps > len(requests)
    assert copies <= steps + len(requests), f"{copies} device-to-host copies for {steps} steps, {len(requests)} joins"
