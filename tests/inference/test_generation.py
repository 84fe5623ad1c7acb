"""Batched decoding gives each request the tokens it would get alone, greedy or seeded."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from inference.generation import FinishReason, GenerationRequest, SamplingParams, resolve_seed
from inference.model import LoadedModel, build_prompt
from tests.support.reference_decoder import generate, prefill, step

PROMPT_LENGTHS = (1, 2, 5, 9, 16, 27, 41, 60)
CONVERSATION = ["Hola, buenos días.", "Buenos días, ¿en qué puedo ayudarle?", "Quisiera una cita con el pediatra."]


def prompts(model: LoadedModel) -> list[list[int]]:
    """Token prompts of many different lengths, each ending like a DialoGPT turn."""
    generator = torch.Generator().manual_seed(7)
    vocab = len(model.tokenizer)
    found = []
    for length in PROMPT_LENGTHS:
        body = torch.randint(1, vocab, (length - 1,), generator=generator).tolist()
        found.append([*body, model.eos_token_id])
    found.append(build_prompt(model.tokenizer, CONVERSATION, max_prompt_tokens=64).token_ids)
    return found


def test_greedy_tokens_are_the_same_alone_and_in_a_mixed_batch(loaded_tiny_model: LoadedModel) -> None:
    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=6 + 3 * i))
        for i, ids in enumerate(prompts(loaded_tiny_model))
    ]

    batched = generate(loaded_tiny_model, requests)
    alone = [generate(loaded_tiny_model, [request])[0] for request in requests]

    assert [r.token_ids for r in batched] == [r.token_ids for r in alone]
    assert [r.text for r in batched] == [r.text for r in alone]
    assert [r.finish_reason for r in batched] == [r.finish_reason for r in alone]
    assert sum(r.completion_tokens for r in batched) > 2 * len(requests)  # not a batch of instant EOS


def test_greedy_matches_transformers_generate(loaded_tiny_model: LoadedModel) -> None:
    ids = prompts(loaded_tiny_model)[-1]
    result = generate(loaded_tiny_model, [GenerationRequest(ids, SamplingParams(max_new_tokens=12))])[0]

    inputs = torch.tensor([ids])
    reference = loaded_tiny_model.model.generate(  # type: ignore[operator]
        inputs,
        attention_mask=torch.ones_like(inputs),
        max_new_tokens=12,
        do_sample=False,
        pad_token_id=loaded_tiny_model.eos_token_id,
    )
    assert result.token_ids == reference[0, len(ids) :].tolist()


def sampled(ids: list[int], seed: int | None, max_new_tokens: int = 16) -> GenerationRequest:
    params = SamplingParams(max_new_tokens=max_new_tokens, do_sample=True, temperature=0.9, top_p=0.95, seed=seed)
    return GenerationRequest(ids, params)


def test_the_same_seed_samples_the_same_tokens_alone_and_in_a_batch(loaded_tiny_model: LoadedModel) -> None:
    all_prompts = prompts(loaded_tiny_model)
    requests = [sampled(ids, seed=1000 + i, max_new_tokens=8 + 2 * i) for i, ids in enumerate(all_prompts)]
    greedy_neighbour = GenerationRequest(all_prompts[3], SamplingParams(max_new_tokens=10))

    batched = generate(loaded_tiny_model, [greedy_neighbour, *requests])[1:]
    reordered = generate(loaded_tiny_model, requests[::-1])[::-1]
    alone = [generate(loaded_tiny_model, [request])[0] for request in requests]

    assert [r.token_ids for r in batched] == [r.token_ids for r in alone]
    assert [r.token_ids for r in reordered] == [r.token_ids for r in alone]
    assert [r.seed for r in batched] == [1000 + i for i in range(len(requests))]


def logits_per_step(model: LoadedModel, requests: list[GenerationRequest]) -> list[list[torch.Tensor]]:
    """Drive prefill/step by hand and record each request's next-token logits at every step."""
    seen: list[list[torch.Tensor]] = [[] for _ in requests]
    seeds = [resolve_seed(r.params) for r in requests]
    with torch.inference_mode():
        state = prefill(model.model, requests, seeds, pad_token_id=model.eos_token_id, device=model.device)
        while state.size:
            for row, index in enumerate(state.request_indices):
                seen[index].append(state.logits[row].clone())
            step(model.model, state, eos_token_id=model.eos_token_id)
    return seen


def test_every_rows_logits_match_its_logits_alone_at_every_step(loaded_tiny_model: LoadedModel) -> None:
    # Stronger than comparing tokens: a tiny model's argmax hides small position or mask errors.
    model = without_eos(loaded_tiny_model)
    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=4 + 2 * i, do_sample=i % 2 == 1, seed=i))
        for i, ids in enumerate(prompts(model))
    ]

    batched = logits_per_step(model, requests)
    alone = [logits_per_step(model, [request])[0] for request in requests]

    for request, batch_steps, alone_steps in zip(requests, batched, alone, strict=True):
        assert len(batch_steps) == len(alone_steps) == request.params.max_new_tokens
        for in_batch, by_itself in zip(batch_steps, alone_steps, strict=True):
            torch.testing.assert_close(in_batch, by_itself, rtol=0, atol=1e-9)


def test_cached_batched_logits_match_one_full_forward_pass_per_request(loaded_tiny_model: LoadedModel) -> None:
    # Ground truth without padding, cache or incremental positions: the whole sequence at once.
    model = without_eos(loaded_tiny_model)
    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=3 + 2 * i, do_sample=True, seed=i))
        for i, ids in enumerate(prompts(model)[::2])
    ]

    stepped = logits_per_step(model, requests)
    results = generate(model, requests)

    with torch.inference_mode():
        for request, steps, result in zip(requests, stepped, results, strict=True):
            sequence = torch.tensor([[*request.prompt_ids, *result.token_ids[:-1]]])
            full = model.model(input_ids=sequence).logits[0, len(request.prompt_ids) - 1 :]
            torch.testing.assert_close(torch.stack(steps), full, rtol=0, atol=1e-9)


def test_different_seeds_sample_different_replies(loaded_tiny_model: LoadedModel) -> None:
    ids = prompts(loaded_tiny_model)[-1]
    requests = [sampled(ids, seed=seed) for seed in range(6)]

    results = generate(loaded_tiny_model, requests)

    assert len({tuple(r.token_ids) for r in results}) >= 3


def test_a_request_without_seed_gets_a_random_one(loaded_tiny_model: LoadedModel) -> None:
    ids = prompts(loaded_tiny_model)[-1]
    first, second = generate(loaded_tiny_model, [sampled(ids, seed=None), sampled(ids, seed=None)])

    assert first.seed is not None and second.seed is not None
    assert first.seed != second.seed
    replay = generate(loaded_tiny_model, [sampled(ids, seed=first.seed)])[0]
    assert replay.token_ids == first.token_ids


class NeverEmits(torch.nn.Module):
    """Wraps a causal LM so that one token id can never be chosen."""

    def __init__(self, inner: torch.nn.Module, token_id: int) -> None:
        super().__init__()
        self.inner = inner
        self.token_id = token_id

    def forward(self, **kwargs: Any) -> Any:
        output = self.inner(**kwargs)
        output.logits[..., self.token_id] = -torch.inf
        return output


def without_eos(model: LoadedModel) -> LoadedModel:
    return dataclasses.replace(model, model=NeverEmits(model.model, model.eos_token_id))  # type: ignore[arg-type]


def test_max_new_tokens_is_respected_with_finish_reason_length(loaded_tiny_model: LoadedModel) -> None:
    model = without_eos(loaded_tiny_model)
    requests = [
        GenerationRequest(ids, SamplingParams(max_new_tokens=n, do_sample=n % 2 == 0, seed=n))
        for n, ids in zip((1, 4, 7, 10), prompts(model), strict=False)
    ]

    results = generate(model, requests)

    assert [r.completion_tokens for r in results] == [1, 4, 7, 10]
    assert [len(r.token_ids) for r in results] == [1, 4, 7, 10]
    assert {r.finish_reason for r in results} == {FinishReason.LENGTH}
    assert [r.prompt_tokens for r in results] == [len(r.prompt_ids) for r in requests]


def test_a_row_stops_at_eos_while_the_others_go_on(loaded_tiny_model: LoadedModel) -> None:
    model = without_eos(loaded_tiny_model)
    ids = prompts(model)[-1]
    request = sampled(ids, seed=11, max_new_tokens=12)
    free = generate(model, [request])[0]
    # Declare the first token that shows up after the 3rd step to be EOS: the row must stop there.
    stop_at = next(i for i, token in enumerate(free.token_ids) if i >= 3 and token not in free.token_ids[:i])
    model = dataclasses.replace(model, eos_token_id=free.token_ids[stop_at])
    other = sampled(prompts(model)[4], seed=3, max_new_tokens=12)

    stopped, neighbour = generate(model, [request, other])

    assert stopped.finish_reason is FinishReason.EOS
    assert stopped.token_ids == free.token_ids[: stop_at + 1]
    assert stopped.completion_tokens == stop_at + 1
    assert neighbour.token_ids == generate(model, [other])[0].token_ids


def test_text_has_no_prompt_and_no_special_tokens(loaded_tiny_model: LoadedModel) -> None:
    ids = prompts(loaded_tiny_model)[-1]
    results = generate(loaded_tiny_model, [sampled(ids, seed=seed, max_new_tokens=24) for seed in range(8)])

    for result in results:
        expected = str(loaded_tiny_model.tokenizer.decode(result.token_ids, skip_special_tokens=True)).strip()
        assert result.text == expected
        assert "<|endoftext|>" not in result.text
        if result.finish_reason is FinishReason.EOS:
            assert result.token_ids[-1] == loaded_tiny_model.eos_token_id


@pytest.mark.parametrize(
    "params",
    [
        {"max_new_tokens": 0},
        {"max_new_tokens": 4, "do_sample": True, "temperature": 0.0},
        {"max_new_tokens": 4, "top_p": 0.0},
        {"max_new_tokens": 4, "top_p": 1.5},
    ],
)
def test_impossible_parameters_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SamplingParams(**params)  # type: ignore[arg-type]
