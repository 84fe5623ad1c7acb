"""The in-process reference points: each request alone, one naive static batch, and the bound
(every prompt prefilled alone, then all rows decoded together)."""

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from bench.workload import BenchRequest
from inference.model import LoadedModel


@dataclass(frozen=True)
class ModeResult:
    """What one way of serving the workload achieved; empty lists where a mode has no such number."""

    name: str
    seconds: float
    useful_tokens: int
    latencies_s: list[float] = field(default_factory=list)
    ttfts_s: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def tokens_per_s(self) -> float:
        return self.useful_tokens / self.seconds if self.seconds > 0 else 0.0


def mean_of(results: Sequence[ModeResult], *, when: str) -> ModeResult:
    """One mode measured several times (same work): the mean time, each run in the note."""
    first = results[0]
    if len(results) == 1:
        return first
    runs = "; ".join(f"{r.seconds:.2f} s ({r.note})" for r in results)
    return ModeResult(
        first.name,
        statistics.fmean(r.seconds for r in results),
        first.useful_tokens,
        note=f"mean of {len(results)} runs, {when}: {runs}",
    )


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def useful_tokens(token_ids: Sequence[int], *, target: int, eos_token_id: int) -> int:
    """Tokens a request actually got, up to its own target: through its first EOS, if any."""
    kept = list(token_ids[:target])
    return kept.index(eos_token_id) + 1 if eos_token_id in kept else len(kept)


def _prefill_alone(loaded: LoadedModel, prompt_ids: Sequence[int]) -> tuple[DynamicCache, torch.Tensor]:
    input_ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=loaded.device)
    output = loaded.model(input_ids=input_ids, use_cache=True, logits_to_keep=1)
    return output.cache, output.logits[:, -1, :]


def warm_up(loaded: LoadedModel, requests: Sequence[BenchRequest]) -> None:
    """A short prefill and a few batched decoding steps, so no mode pays first-call costs."""
    with torch.inference_mode():
        run_bound(loaded, requests[:2], decode_steps=3)


def run_sequential(loaded: LoadedModel, requests: Sequence[BenchRequest]) -> tuple[ModeResult, list[list[int]]]:
    """Each request alone with a KV cache, greedy, exactly its target length (EOS masked out, as
    `min_new_tokens` would); also returns the generated ids."""
    model, eos = loaded.model, loaded.eos_token_id
    latencies, ttfts, outputs = [], [], []
    started = time.perf_counter()
    with torch.inference_mode():
        for request in requests:
            t0 = time.perf_counter()
            cache, logits = _prefill_alone(loaded, request.prompt_ids)
            tokens = []
            for step in range(request.max_new_tokens):
                logits[:, eos] = float("-inf")
                token = logits.argmax(dim=-1, keepdim=True)
                tokens.append(token)
                if step == 0:
                    _sync(loaded.device)
                    ttfts.append(time.perf_counter() - t0)
                if step + 1 < request.max_new_tokens:
                    output = model(input_ids=token, cache=cache, use_cache=True)
                    cache, logits = output.cache, output.logits[:, -1, :]
            outputs.append(torch.cat(tokens, dim=-1)[0].tolist())
            latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    useful = sum(len(ids) for ids in outputs)
    return ModeResult("sequential", seconds, useful, latencies, ttfts), outputs


def left_padded(
    requests: Sequence[BenchRequest], *, pad_token_id: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input ids and attention mask of the prompts, left padded to the longest."""
    width = max(len(r.prompt_ids) for r in requests)
    ids = [[pad_token_id] * (width - len(r.prompt_ids)) + list(r.prompt_ids) for r in requests]
    mask = [[0] * (width - len(r.prompt_ids)) + [1] * len(r.prompt_ids) for r in requests]
    return (
        torch.tensor(ids, dtype=torch.long, device=device),
        torch.tensor(mask, dtype=torch.long, device=device),
    )


def run_static(loaded: LoadedModel, requests: Sequence[BenchRequest]) -> ModeResult:
    """All prompts in one HF `generate` call, left padded, up to the largest target: a naive
    batcher. Every request gets its answer when the whole batch ends, so TTFT = latency."""
    eos = loaded.eos_token_id
    input_ids, attention_mask = left_padded(requests, pad_token_id=eos, device=loaded.device)
    longest = max(r.max_new_tokens for r in requests)
    started = time.perf_counter()
    with torch.inference_mode():
        generated = loaded.model.generate(  # type: ignore[operator]
            input_ids=input_ids,
            attention_mask=attention_mask,
            max_new_tokens=longest,
            do_sample=False,
            pad_token_id=eos,
            eos_token_id=eos,
        )
    _sync(loaded.device)
    seconds = time.perf_counter() - started
    rows: list[list[int]] = generated[:, input_ids.shape[1] :].tolist()
    useful = sum(
        useful_tokens(ids, target=r.max_new_tokens, eos_token_id=eos) for ids, r in zip(rows, requests, strict=True)
    )
    return ModeResult(
        "static",
        seconds,
        useful,
        [seconds] * len(requests),
        [seconds] * len(requests),
        note=f"{len(requests)} rows x {longest} new tokens generated, {useful} of them useful",
    )


def _merge_left_padded(caches: Sequence[DynamicCache], lengths: Sequence[int]) -> DynamicCache:
    """One batch cache from single-row caches, each left padded to the longest."""
    width = max(lengths)
    layers = []
    for layer in range(len(caches[0].layers)):
        keys, values = [], []
        for cache, length in zip(caches, lengths, strict=True):
            row = cache.layers[layer]
            if not isinstance(row, DynamicLayer) or row.keys is None or row.values is None:
                raise TypeError(f"expected a filled DynamicLayer, got {type(row).__name__}")
            keys.append(F.pad(row.keys, (0, 0, width - length, 0)))
            values.append(F.pad(row.values, (0, 0, width - length, 0)))
        layers.append((torch.cat(keys), torch.cat(values)))
    return DynamicCache(ddp_cache_data=layers)


def run_bound(loaded: LoadedModel, requests: Sequence[BenchRequest], *, decode_steps: int | None = None) -> ModeResult:
    """Time to prefill each prompt alone (sum) plus time to decode all rows together for the mean
    output length (the first token comes from the prefill). Merging the caches is not timed."""
    model, device = loaded.model, loaded.device
    mean_output = statistics.fmean(r.max_new_tokens for r in requests)
    steps = max(0, round(mean_output) - 1) if decode_steps is None else decode_steps
    lengths = [len(r.prompt_ids) for r in requests]
    caches, first_tokens = [], []
    prefill_s = 0.0
    with torch.inference_mode():
        for request in requests:
            t0 = time.perf_counter()
            cache, logits = _prefill_alone(loaded, request.prompt_ids)
            first_tokens.append(logits.argmax(dim=-1, keepdim=True))
            _sync(device)
            prefill_s += time.perf_counter() - t0
            caches.append(cache)

        cache = _merge_left_padded(caches, lengths)
        del caches
        width = max(lengths)
        attention_mask = torch.tensor([[0] * (width - n) + [1] * n for n in lengths], dtype=torch.long, device=device)
        positions = torch.tensor(lengths, dtype=torch.long, device=device).unsqueeze(-1)
        tokens = torch.cat(first_tokens)
        ones = attention_mask.new_ones((len(requests), 1))
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            attention_mask = torch.cat([attention_mask, ones], dim=-1)
            output = model(
                input_ids=tokens, attention_mask=attention_mask, position_ids=positions, cache=cache, use_cache=True
            )
            cache = output.cache
            tokens = output.logits[:, -1, :].argmax(dim=-1, keepdim=True)
            positions = positions + 1
        _sync(device)
        decode_s = time.perf_counter() - t0
    produced = len(requests) * (steps + 1)
    return ModeResult(
        "bound",
        prefill_s + decode_s,
        produced,
        note=f"prefill alone {prefill_s:.2f} s + {steps} batched decode steps {decode_s:.2f} s",
    )
