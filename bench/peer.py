"""The peer a user would try first: transformers' own continuous batching, in process, two ways.

- `generate_batch`: the call as transformers documents it, `model.generate_batch(prompts, generation_config=...)`,
  greedy, every other setting its own. It takes one `max_new_tokens` for every prompt, so it runs each to the
  longest target and, as in the static batch, tokens past a request's own target are waste. Its time is the
  call's, set-up included: left to its defaults it sizes its paged cache to 90 % of the free memory (GPU memory on
  a GPU, the machine's on a CPU) and allows 8,192 tokens per forward pass, and on a CPU it then fills an attention
  mask of that size before its first batch
  (transformers/generation/continuous_batching/input_outputs.py, `_reset_static_tensors`).
- `tuned CB`: the same engine (`continuous_batching_context_manager`, which `generate_batch` runs on) as someone
  tuning it for this workload would run it: each request added with its own `max_new_tokens`, a paged cache that
  holds the workload and no more, and the forward pass size that was fastest here. The strongest peer we could
  configure: the ratio against it says how much of the lead is the scheduler rather than settings.

Both load the model as transformers documents it (`from_pretrained`, SDPA attention, none of our oneDNN prepacking).
The API is transformers 5.x's (`generate_batch` and `ContinuousBatchingConfig` are absent from 4.x); pyproject.toml
pins the version the bench was written against.
"""

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import torch
from transformers import AutoModelForCausalLM, GenerationConfig, PreTrainedModel
from transformers.generation.configuration_utils import ContinuousBatchingConfig

from bench.offline import ModeResult
from bench.workload import BenchRequest

GENERATE_BATCH: Final = "generate_batch"
TUNED_CB: Final = "tuned CB"
PEERS: Final = (GENERATE_BATCH, TUNED_CB)
# Tokens per page of the paged cache (transformers' default).
PAGE_SIZE: Final = 256
# Tokens one forward pass of the tuned peer takes at most (prefill chunks and decode rows together): of 256, 512
# and 1024 tried on the bench's workload on a 2-core CPU, 256 was the fastest.
MAX_BATCH_TOKENS: Final = 256


def paged_cache_for(requests: Sequence[BenchRequest]) -> ContinuousBatchingConfig:
    """A paged cache that holds every request's prompt and output at once, and no more."""
    tokens = sum(len(r.prompt_ids) + r.max_new_tokens for r in requests)
    blocks = -(-tokens // PAGE_SIZE) + len(requests)  # a partly filled last page per request
    return ContinuousBatchingConfig(page_size=PAGE_SIZE, num_blocks=blocks, max_batch_tokens=MAX_BATCH_TOKENS)


def _plain_model(model_dir: Path, device: torch.device) -> PreTrainedModel:
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype, attn_implementation="sdpa")
    model.to(device)  # type: ignore[arg-type]  # transformers' decorator hides the signature
    model.eval()  # type: ignore[no-untyped-call]
    return model


def _greedy(requests: Sequence[BenchRequest], eos_token_id: int) -> GenerationConfig:
    return GenerationConfig(  # type: ignore[no-untyped-call]
        do_sample=False,
        max_new_tokens=max(r.max_new_tokens for r in requests),
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
    )


def _useful(outputs: Sequence[list[int]], requests: Sequence[BenchRequest]) -> int:
    return sum(min(len(tokens), r.max_new_tokens) for tokens, r in zip(outputs, requests, strict=True))


def run_generate_batch(
    model_dir: Path,
    device: torch.device,
    requests: Sequence[BenchRequest],
    *,
    eos_token_id: int,
    cache: ContinuousBatchingConfig | None = None,
) -> tuple[ModeResult, list[list[int]]]:
    """Every prompt through one `generate_batch` call; `cache` None leaves transformers' defaults. Every answer
    comes back when the call returns (latency = its time); TTFT is when each request's first token was made."""
    model = _plain_model(model_dir, device)
    prompts = [list(r.prompt_ids) for r in requests]
    with torch.inference_mode():
        started = time.perf_counter()
        answers = model.generate_batch(  # type: ignore[operator]  # a mixin method transformers types loosely
            prompts,
            generation_config=_greedy(requests, eos_token_id),
            continuous_batching_config=cache,
            record_timestamps=True,
        )
        seconds = time.perf_counter() - started
    results = list(answers.values())
    failed = [r.error for r in results if r.error is not None]
    if len(results) != len(requests) or failed:
        raise RuntimeError(f"generate_batch answered {len(results)} of {len(requests)} prompts: {failed[:1]}")
    outputs = [list(r.generated_tokens) for r in results]
    first = [r.timestamps[0] - started for r in results if r.timestamps]
    how = "its defaults" if cache is None else f"a paged cache of {cache.num_blocks} blocks"
    return (
        ModeResult(
            GENERATE_BATCH,
            seconds,
            _useful(outputs, requests),
            latencies_s=[seconds] * len(requests),
            ttfts_s=first,
            note=f"one call, greedy, max_new_tokens {max(r.max_new_tokens for r in requests)} for every prompt, "
            f"{how}, set-up included (first token after {min(first, default=seconds):.2f} s at the earliest)",
        ),
        outputs,
    )


def run_tuned_cb(
    model_dir: Path, device: torch.device, requests: Sequence[BenchRequest], *, eos_token_id: int
) -> tuple[ModeResult, list[list[int]]]:
    """Every request at once through transformers' continuous batching, each with its own length, on a cache
    sized for the workload; answers are taken as they finish."""
    model = _plain_model(model_dir, device)
    cache = paged_cache_for(requests)
    finished: dict[str, tuple[list[int], float, float]] = {}
    with (
        torch.inference_mode(),
        model.continuous_batching_context_manager(  # type: ignore[operator]  # typed loosely by transformers
            generation_config=_greedy(requests, eos_token_id), continuous_batching_config=cache, block=True, timeout=5
        ) as manager,
    ):
        started = time.perf_counter()
        added = [
            manager.add_request(list(r.prompt_ids), max_new_tokens=r.max_new_tokens, record_timestamps=True)
            for r in requests
        ]
        ids = [request_id for request_id in added if request_id is not None]
        if len(ids) != len(requests):
            raise RuntimeError("transformers' continuous batching did not take every request")
        while len(finished) < len(ids):
            result = manager.get_result(timeout=1)
            if result is not None and result.is_finished():
                if result.error is not None:
                    raise RuntimeError(f"transformers' continuous batching failed a request: {result.error}")
                first = result.timestamps[0] if result.timestamps else time.perf_counter()
                finished[result.request_id] = (
                    list(result.generated_tokens),
                    time.perf_counter() - started,
                    first - started,
                )
            elif result is None and not manager.is_running():
                raise RuntimeError("transformers' continuous batching stopped before finishing every request")
        seconds = time.perf_counter() - started
    outputs = [finished[i][0] for i in ids]
    return (
        ModeResult(
            TUNED_CB,
            seconds,
            _useful(outputs, requests),
            latencies_s=[finished[i][1] for i in ids],
            ttfts_s=[finished[i][2] for i in ids],
            note=f"every request added at once with its own max_new_tokens, greedy, paged cache of "
            f"{cache.num_blocks} blocks x {PAGE_SIZE} tokens, max_batch_tokens {MAX_BATCH_TOKENS}",
        ),
        outputs,
    )


def agreement(outputs: Sequence[list[int]], sequential: Sequence[list[int]], *, eos_token_id: int) -> tuple[int, int]:
    """(requests whose greedy ids equal sequential's up to the peer's EOS or sequential's end, of those ended early
    by EOS)."""
    same = ended = 0
    for peer, reference in zip(outputs, sequential, strict=True):
        if eos_token_id in peer:
            ended += 1
            peer = peer[: peer.index(eos_token_id)]
        peer = peer[: len(reference)]  # generate_batch runs past a request's target
        same += peer == reference[: len(peer)]
    return same, ended
