"""The peer a user would try first: transformers' own continuous batching, in process.

The model is loaded as transformers documents it (`from_pretrained`, SDPA attention, none of our oneDNN
prepacking), every request is added to one `continuous_batching_context_manager` at once with its own
`max_new_tokens` (`generate_batch` takes one length for all), greedy. Its paged KV cache is sized from the
workload: left to its defaults it sizes itself to the machine's free memory, and on a CPU it then spends tens of
seconds filling an attention mask of that size before its first batch
(transformers/generation/continuous_batching/input_outputs.py, `_reset_static_tensors`), which is a setting, not
what continuous batching costs.
"""

import time
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, GenerationConfig
from transformers.generation.configuration_utils import ContinuousBatchingConfig

from bench.offline import ModeResult
from bench.workload import BenchRequest

PEER = "transformers CB"
# Tokens per page of the paged cache (transformers' default).
PAGE_SIZE = 256
# Tokens one forward pass of the peer takes at most (prefill chunks and decode rows together): of 256, 512 and
# 1024 tried on the bench's workload on a 2-core CPU, 256 was the fastest.
MAX_BATCH_TOKENS = 256


def paged_cache_for(requests: Sequence[BenchRequest]) -> ContinuousBatchingConfig:
    """A paged cache that holds every request's prompt and output at once, and no more."""
    tokens = sum(len(r.prompt_ids) + r.max_new_tokens for r in requests)
    blocks = -(-tokens // PAGE_SIZE) + len(requests)  # a partly filled last page per request
    return ContinuousBatchingConfig(page_size=PAGE_SIZE, num_blocks=blocks, max_batch_tokens=MAX_BATCH_TOKENS)


def run_peer(
    model_dir: Path, device: torch.device, requests: Sequence[BenchRequest], *, eos_token_id: int
) -> tuple[ModeResult, list[list[int]]]:
    """Every request at once through transformers' continuous batching; also returns the generated ids (a request
    may end early with EOS, which sequential masks out)."""
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype, attn_implementation="sdpa")
    model.to(device)  # type: ignore[arg-type]  # transformers' decorator hides the signature
    model.eval()  # type: ignore[no-untyped-call]
    generation = GenerationConfig(  # type: ignore[no-untyped-call]
        do_sample=False,
        max_new_tokens=max(r.max_new_tokens for r in requests),
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
    )
    cache = paged_cache_for(requests)
    finished: dict[str, tuple[list[int], float]] = {}
    with (
        torch.inference_mode(),
        model.continuous_batching_context_manager(
            generation_config=generation, continuous_batching_config=cache, block=True, timeout=5
        ) as manager,
    ):
        started = time.perf_counter()
        added = [manager.add_request(list(r.prompt_ids), max_new_tokens=r.max_new_tokens) for r in requests]
        ids = [request_id for request_id in added if request_id is not None]
        if len(ids) != len(requests):
            raise RuntimeError("transformers' continuous batching did not take every request")
        while len(finished) < len(ids):
            result = manager.get_result(timeout=1)
            if result is not None and result.is_finished():
                if result.error is not None:
                    raise RuntimeError(f"transformers' continuous batching failed a request: {result.error}")
                finished[result.request_id] = (list(result.generated_tokens), time.perf_counter() - started)
            elif result is None and not manager.is_running():
                raise RuntimeError("transformers' continuous batching stopped before finishing every request")
        seconds = time.perf_counter() - started
    outputs = [finished[i][0] for i in ids]
    useful = sum(min(len(tokens), r.max_new_tokens) for tokens, r in zip(outputs, requests, strict=True))
    return (
        ModeResult(
            PEER,
            seconds,
            useful,
            latencies_s=[finished[i][1] for i in ids],
            note=f"every request added at once, greedy, paged cache of {cache.num_blocks} blocks x {PAGE_SIZE} "
            f"tokens, max_batch_tokens {MAX_BATCH_TOKENS}; model loaded plainly (SDPA, no oneDNN prepack)",
        ),
        outputs,
    )


def agreement(outputs: Sequence[list[int]], sequential: Sequence[list[int]], *, eos_token_id: int) -> tuple[int, int]:
    """(requests whose greedy ids equal sequential's up to the peer's EOS, of those ended early by EOS)."""
    same = ended = 0
    for peer, reference in zip(outputs, sequential, strict=True):
        if eos_token_id in peer:
            ended += 1
            peer = peer[: peer.index(eos_token_id)]
        same += peer == reference[: len(peer)]
    return same, ended
