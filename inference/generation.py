"""Batched decoding with a KV cache, seeded per request.

The sampler (`pick_tokens`, `request_uniforms`, `resolve_seed`) is shared with the serving engine
(`inference.engine`). `generate` runs a static batch to completion with a plain DynamicCache; the
server no longer uses it, but it is the independent reference the engine's outputs are tested
against (and it is itself checked against transformers' own `generate`).

Sampling draws every uniform a request will need from its own `torch.Generator` up front and
picks tokens by inverse CDF, so the same seed gives the same text alone or inside any batch.
"""

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import Cache, PreTrainedModel

from inference.model import LoadedModel


class FinishReason(enum.Enum):
    EOS = "eos"
    LENGTH = "length"


@dataclass(frozen=True)
class SamplingParams:
    """Per-request decoding parameters; temperature, top_p and seed only matter when sampling."""

    max_new_tokens: int
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.do_sample and self.temperature <= 0:
            raise ValueError("temperature must be positive when sampling")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")


@dataclass(frozen=True)
class GenerationRequest:
    """A prompt ready for the model and how to continue it."""

    prompt_ids: Sequence[int]
    params: SamplingParams

    def __post_init__(self) -> None:
        if not self.prompt_ids:
            raise ValueError("prompt_ids must not be empty")


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


def resolve_seed(params: SamplingParams) -> int | None:
    """The seed a sampled request runs with: its own, or a fresh random one."""
    if not params.do_sample:
        return None
    return params.seed if params.seed is not None else secrets.randbits(63)


def request_uniforms(seed: int | None, count: int, width: int) -> torch.Tensor:
    """The `count` draws a request samples with, from its own generator, zero-padded to `width`."""
    row = torch.zeros(width, dtype=torch.float64)
    if seed is not None:
        generator = torch.Generator(device="cpu").manual_seed(seed)
        row[:count] = torch.rand(count, generator=generator, dtype=torch.float64)
    return row


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


def pick_tokens(
    logits: torch.Tensor,
    *,
    do_sample: torch.Tensor,
    temperature: torch.Tensor,
    top_p: torch.Tensor,
    uniforms: torch.Tensor,
) -> torch.Tensor:
    """One token per row: argmax on greedy rows, temperature + top-p inverse-CDF on sampled rows.

    `uniforms` holds each row's own draw in [0, 1) for this step; greedy rows ignore theirs.
    """
    greedy = logits.argmax(dim=-1)
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    scaled = logits / temperature.to(logits.dtype).unsqueeze(-1)
    probs = torch.softmax(scaled, dim=-1)
    sorted_probs, sorted_ids = probs.sort(dim=-1, descending=True, stable=True)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    outside_nucleus = mass_before >= top_p.to(probs.dtype).unsqueeze(-1)
    sorted_probs = sorted_probs.masked_fill(outside_nucleus, 0.0)
    cdf = sorted_probs.cumsum(dim=-1)
    target = uniforms.to(cdf.dtype) * cdf[:, -1]
    picks = torch.searchsorted(cdf, target.unsqueeze(-1), right=True)
    last_kept = (~outside_nucleus).sum(dim=-1, keepdim=True) - 1
    picks = torch.minimum(picks, last_kept)
    sampled = sorted_ids.gather(-1, picks).squeeze(-1)
    return torch.where(do_sample, sampled, greedy)


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


def forced_logprobs(loaded: LoadedModel, prompt_ids: Sequence[int], reply_ids: Sequence[int]) -> list[float]:
    """The model's log-probability of each of `reply_ids` after `prompt_ids`, teacher-forced in one
    pass: what the engine reports for those tokens when it picks them (log-softmax of raw logits)."""
    if not prompt_ids or not reply_ids:
        raise ValueError("prompt and reply must not be empty")
    ids = torch.tensor([[*prompt_ids, *reply_ids]], dtype=torch.long, device=loaded.device)
    with torch.inference_mode():
        logits = loaded.model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1]
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    chosen = ids[0, len(prompt_ids) :]
    return [float(x) for x in torch.log_softmax(logits, dim=-1).gather(-1, chosen.view(-1, 1)).squeeze(-1).tolist()]
