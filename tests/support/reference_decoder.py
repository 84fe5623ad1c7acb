"""The reference decoder: a static batch run to completion with a plain DynamicCache, seeded per request.

The server does not use it (inference.engine serves continuously batched requests); it is the independent
reference the engine's outputs are tested against, and it is itself checked against transformers' own `generate`.
It shares the sampler (`pick_tokens`, `request_uniforms`, `resolve_seed`) with the engine.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import Cache, PreTrainedModel

from inference.generation import (
    FinishReason,
    GenerationRequest,
    pick_tokens,
    request_uniforms,
    resolve_seed,
)
from inference.model import LoadedModel


@dataclass(frozen=True)
class GenerationResult:
    """Generated tokens (EOS included when produced) and their text without special tokens."""

    token_ids: list[int]
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    seed: int | None


@dataclass(frozen=True)
class FinishedRow:
    """A row retired from the batch: which request it was and what it produced."""

    request_index: int
    token_ids: list[int]
    finish_reason: FinishReason


@dataclass
class BatchState:
    """Everything needed to take the next decoding step for a set of rows (one row per request)."""

    request_indices: list[int]
    attention_mask: torch.Tensor  # [rows, seq] 1 for real tokens, 0 for left padding
    next_positions: torch.Tensor  # [rows] position id of the token fed next
    cache: Cache
    logits: torch.Tensor  # [rows, vocab] logits of the token to choose now
    tokens: torch.Tensor  # [rows, max_steps] generated ids, the first `steps` columns valid
    steps: int
    max_new_tokens: torch.Tensor  # [rows]
    do_sample: torch.Tensor  # [rows] bool
    temperature: torch.Tensor  # [rows], 1.0 on greedy rows
    top_p: torch.Tensor  # [rows]
    uniforms: torch.Tensor  # [rows, max_steps] each row's draws from its own seeded generator
    sampling: bool  # whether any row samples (kept on the host: no device sync per step)

    @property
    def size(self) -> int:
        return len(self.request_indices)


def prefill(
    model: PreTrainedModel,
    requests: Sequence[GenerationRequest],
    seeds: Sequence[int | None],
    *,
    pad_token_id: int,
    device: torch.device,
) -> BatchState:
    """Run the left-padded prompts through the model once, filling the KV cache."""
    lengths = [len(r.prompt_ids) for r in requests]
    width = max(lengths)
    input_ids = torch.tensor(
        [[pad_token_id] * (width - n) + list(r.prompt_ids) for r, n in zip(requests, lengths, strict=True)],
        dtype=torch.long,
    )
    attention_mask = torch.tensor([[0] * (width - n) + [1] * n for n in lengths], dtype=torch.long)
    input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)
    # GPT-2 has absolute positions: count only real tokens, or left padding shifts every row.
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    output = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        use_cache=True,
        logits_to_keep=1,
    )
    max_steps = max(r.params.max_new_tokens for r in requests)
    params = [r.params for r in requests]
    return BatchState(
        request_indices=list(range(len(requests))),
        attention_mask=attention_mask,
        next_positions=torch.tensor(lengths, dtype=torch.long, device=device),
        cache=output.cache,
        logits=output.logits[:, -1, :],
        tokens=torch.full((len(requests), max_steps), pad_token_id, dtype=torch.long, device=device),
        steps=0,
        max_new_tokens=torch.tensor([p.max_new_tokens for p in params], device=device),
        do_sample=torch.tensor([p.do_sample for p in params], device=device),
        temperature=torch.tensor([p.temperature if p.do_sample else 1.0 for p in params], device=device),
        top_p=torch.tensor([p.top_p for p in params], device=device),
        uniforms=torch.stack(
            [request_uniforms(s, p.max_new_tokens, max_steps) for s, p in zip(seeds, params, strict=True)]
        ).to(device),
        sampling=any(p.do_sample for p in params),
    )


def choose_next_tokens(state: BatchState) -> torch.Tensor:
    """The next token of every row of a static batch."""
    if not state.sampling:
        return state.logits.argmax(dim=-1)
    return pick_tokens(
        state.logits,
        do_sample=state.do_sample,
        temperature=state.temperature,
        top_p=state.top_p,
        uniforms=state.uniforms[:, state.steps],
    )


def _keep_rows(state: BatchState, keep: torch.Tensor) -> None:
    rows = keep.nonzero().squeeze(-1)
    state.request_indices = [state.request_indices[i] for i in rows.tolist()]
    if not state.request_indices:
        return
    state.cache.batch_select_indices(rows)
    state.attention_mask = state.attention_mask[rows]
    state.next_positions = state.next_positions[rows]
    state.tokens = state.tokens[rows]
    state.max_new_tokens = state.max_new_tokens[rows]
    state.do_sample = state.do_sample[rows]
    state.temperature = state.temperature[rows]
    state.top_p = state.top_p[rows]
    state.uniforms = state.uniforms[rows]
    state.sampling = bool(state.do_sample.any())


def step(model: PreTrainedModel, state: BatchState, *, eos_token_id: int) -> list[FinishedRow]:
    """Choose a token for every row, retire rows that hit EOS or their limit, advance the rest."""
    next_tokens = choose_next_tokens(state)
    state.tokens[:, state.steps] = next_tokens
    state.steps += 1
    hit_eos = next_tokens == eos_token_id
    done = hit_eos | (state.max_new_tokens <= state.steps)

    finished: list[FinishedRow] = []
    if bool(done.any()):
        done_rows = done.nonzero().squeeze(-1)
        token_lists = state.tokens[done_rows, : state.steps].tolist()
        eos_flags = hit_eos[done_rows].tolist()
        for row, ids, eos in zip(done_rows.tolist(), token_lists, eos_flags, strict=True):
            reason = FinishReason.EOS if eos else FinishReason.LENGTH
            finished.append(FinishedRow(state.request_indices[row], ids, reason))
        keep = ~done
        next_tokens = next_tokens[keep]
        _keep_rows(state, keep)
        if not state.request_indices:
            return finished

    state.attention_mask = torch.cat([state.attention_mask, state.attention_mask.new_ones((state.size, 1))], dim=-1)
    output = model(
        input_ids=next_tokens.unsqueeze(-1),
        attention_mask=state.attention_mask,
        position_ids=state.next_positions.unsqueeze(-1),
        cache=state.cache,
        use_cache=True,
    )
    state.cache = output.cache
    state.logits = output.logits[:, -1, :]
    state.next_positions = state.next_positions + 1
    return finished


def generate(loaded: LoadedModel, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
    """Decode all requests together until every one has finished; results follow request order."""
    if not requests:
        return []
    for request in requests:
        if len(request.prompt_ids) + request.params.max_new_tokens > loaded.context_length:
            raise ValueError(f"prompt + max_new_tokens exceed the context of {loaded.context_length} tokens")
    seeds = [resolve_seed(r.params) for r in requests]
    finished: dict[int, FinishedRow] = {}
    with torch.inference_mode():
        state = prefill(
            loaded.model,
            requests,
            seeds,
            pad_token_id=loaded.eos_token_id,
            device=loaded.device,
        )
        while state.size:
            for row in step(loaded.model, state, eos_token_id=loaded.eos_token_id):
                finished[row.request_index] = row

    results = []
    for index, request in enumerate(requests):
        row = finished[index]
        text = str(loaded.tokenizer.decode(row.token_ids, skip_special_tokens=True))
        results.append(
            GenerationResult(
                token_ids=row.token_ids,
                text=text.strip(),
                prompt_tokens=len(request.prompt_ids),
                completion_tokens=len(row.token_ids),
                finish_reason=row.finish_reason,
                seed=seeds[index],
            )
        )
    return results
