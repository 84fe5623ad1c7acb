"""`python -m bench.inference_bench`: the inference service against offline baselines.

One process, one model, one set of prompts: each request alone (sequential), one naive static
batch, the bound (prefill alone + decode all together), and the real server under a burst of N
concurrent clients, then under the same requests arriving open loop (Poisson, at a fraction of
the rate the burst achieved), then each prompt alone on it; then a small-queue server, saturated,
for how fast it refuses, and optionally the server's RSS over many requests. Prints a table and
the target checks, and writes them to bench/RESULTS.md.
"""

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import torch
import transformers
from transformers import PreTrainedTokenizerBase

from bench.checkpoint import ARCHS, Arch, ensure_checkpoint
from bench.offline import ModeResult, mean_of, run_bound, run_sequential, run_static, warm_up
from bench.report import (
    Check,
    Row,
    checks_table,
    format_table,
    info_check,
    keep_notes,
    machine_lines,
    mode_table,
    ms_check,
    percentile,
    ratio,
    ratio_check,
    results_markdown,
)
from bench.server import (
    CallResult,
    Load,
    MemoryRun,
    OverloadRun,
    SaturatedRefusals,
    fire_at,
    fire_together,
    generate_request,
    inference_stub,
    measure_memory,
    measure_overload,
    measure_saturated_refusals,
    one_by_one,
    server_env,
    start_server,
    supports_streaming,
)
from bench.workload import BenchRequest, make_workload, poisson_arrivals, short_texts
from inference.model import LoadedModel, load_model
from protos import inference_pb2

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
SHORT_PROMPT_TOKENS: Final = 10
MIB: Final = 1024 * 1024
# The bench's servers must not collide with a running service's metrics port (9464 by default).
SERVER_DEFAULTS: Final = {"INFERENCE_METRICS_PORT": "0"}
OVERLOAD_KNOBS: Final = ("INFERENCE_MAX_BATCH_SIZE", "INFERENCE_MAX_QUEUE", "INFERENCE_MAX_TOKENS_IN_FLIGHT")
BURST: Final = "server burst"
OPEN_LOOP: Final = "server Poisson"


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run depends on; the defaults are `make bench-inference`'s."""

    model_dir: Path
    results_path: Path
    arch_name: str = "small"
    arch: Arch = ARCHS["small"]
    device: str = "cpu"
    n: int = 32
    seed: int = 0
    prompt_tokens: tuple[int, int] = (10, 300)
    output_tokens: tuple[int, int] = (8, 64)
    torch_threads: int | None = None
    # Extra environment for every server this run starts (after the user's and the bench's own).
    server_env: Mapping[str, str] = field(default_factory=dict)
    # The open-loop phase: Poisson arrivals at this fraction of the requests/s the burst achieved,
    # `load_requests` of them (default n, the same prompts).
    load_fraction: float = 0.5
    load_requests: int | None = None
    overload_batch_size: int = 2
    overload_queue: int = 4
    overload_burst: int = 32
    overload_new_tokens: int = 16
    refusal_probes: int = 100
    hold_new_tokens: int = 250
    memory_requests: int = 0
    memory_every: int = 1000
    memory_concurrency: int = 16
    memory_new_tokens: int = 2
    log_dir: Path = REPO_ROOT / ".cache" / "bench" / "logs"
    command: str = "python -m bench.inference_bench"


@dataclass(frozen=True)
class OpenLoop:
    """The open-loop phase: which requests were sent, at what rate, and what came back."""

    requests: list[BenchRequest]
    rate_per_s: float
    fraction: float
    load: Load


@dataclass(frozen=True)
class ServerMeasurements:
    streaming: bool
    env: dict[str, str]
    load: Load
    open_loop: OpenLoop
    alone_first_token: list[CallResult]
    alone_short: list[CallResult]
    memory: MemoryRun | None
    overload: OverloadRun
    saturated: SaturatedRefusals
    overload_env: dict[str, str]


@dataclass(frozen=True)
class ShortReference:
    """What the shortest requests of the burst would get from a scheduler that served them before
    anything else: their prompts prefilled one after another, then decoded together (in process,
    no gRPC), against the same requests alone (the sequential mode's p99). On a CPU prefill
    dominates, so this ratio shows how close to the 3x target the hardware lets any scheduler come."""

    together: ModeResult
    alone_p99_s: float

    @property
    def ratio(self) -> float:
        return ratio(self.together.seconds, self.alone_p99_s)


@dataclass(frozen=True)
class BenchReport:
    rows: list[Row]
    checks: list[Check]
    text: str
    results_path: Path


class Phases:
    """Wall time of each phase of the run, announced on stderr as it starts."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.seconds: dict[str, float] = {}
        self._say = say

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self._say(f"bench: {name} ...")
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - started

    def summary(self) -> str:
        total = sum(self.seconds.values())
        parts = ", ".join(f"{name} {s:.0f}s" for name, s in self.seconds.items())
        return f"phases: {parts}; total {total:.0f}s"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _inference_env(env: Mapping[str, str]) -> str:
    """The INFERENCE_* settings a server was started with, host and port (the bench's own) left out."""
    shown = {
        k: v for k, v in env.items() if k.startswith("INFERENCE_") and k not in ("INFERENCE_HOST", "INFERENCE_PORT")
    }
    return " ".join(f"{k}={v}" for k, v in sorted(shown.items())) or "none (server defaults)"


def open_loop_requests(requests: Sequence[BenchRequest], count: int) -> list[BenchRequest]:
    """`count` requests going round the workload (same prompts and targets), with their own ids."""
    return [
        BenchRequest(f"{r.request_id}-poisson-{i}", r.text, r.prompt_ids, r.max_new_tokens)
        for i, r in enumerate(itertools.islice(itertools.cycle(requests), count))
    ]


async def run_open_loop(
    stub: Any, config: BenchConfig, requests: Sequence[BenchRequest], burst: Load, *, streaming: bool
) -> OpenLoop:
    """The workload again, arriving as a seeded Poisson process at `load_fraction` of the burst's requests/s."""
    served = sum(r.ok for r in burst.results)
    rate = config.load_fraction * served / burst.seconds
    chosen = open_loop_requests(requests, config.load_requests or len(requests))
    offsets = poisson_arrivals(len(chosen), rate_per_s=rate, seed=config.seed)
    load = await fire_at(
        stub, [generate_request(r.request_id, r.text, r.max_new_tokens) for r in chosen], offsets, streaming=streaming
    )
    return OpenLoop(chosen, rate, config.load_fraction, load)


async def measure_server(
    config: BenchConfig,
    requests: Sequence[BenchRequest],
    texts: Sequence[str],
    phases: Phases,
    *,
    after_burst: Callable[[], None] | None = None,
) -> ServerMeasurements:
    """The burst, the open-loop run, the alone baselines and the memory run on one server; then
    the overload runs on a second one with a small queue. `after_burst` runs (in a thread)
    right after the burst, while the server idles."""
    overrides = dict(config.server_env)
    if config.torch_threads is not None:
        overrides["INFERENCE_TORCH_THREADS"] = str(config.torch_threads)
    env = server_env(
        config.model_dir,
        device=config.device,
        defaults=SERVER_DEFAULTS,
        overrides=overrides,
    )
    shortest = config.output_tokens[0]
    with phases("server start"):
        server = await asyncio.to_thread(start_server, env, log_path=config.log_dir / "server.log", cwd=REPO_ROOT)
    try:
        async with inference_stub(server.target) as stub:
            streaming = await supports_streaming(stub, texts[0])
            with phases("server burst"):
                load = await fire_together(
                    stub,
                    [generate_request(r.request_id, r.text, r.max_new_tokens) for r in requests],
                    streaming=streaming,
                )
            if after_burst is not None:
                with phases("bound again"):
                    await asyncio.to_thread(after_burst)
            with phases("server open loop"):
                open_loop = await run_open_loop(stub, config, requests, load, streaming=streaming)
            with phases("server alone"):
                alone_first = await one_by_one(
                    stub, [generate_request(f"{r.request_id}-alone", r.text, 1) for r in requests], streaming=streaming
                )
                alone_short = await one_by_one(
                    stub,
                    [
                        generate_request(f"{r.request_id}-alone", r.text, r.max_new_tokens)
                        for r in requests
                        if r.max_new_tokens == shortest
                    ],
                    streaming=streaming,
                )
            memory = None
            if config.memory_requests > 0:
                with phases("server memory"):
                    memory = await measure_memory(
                        stub,
                        server,
                        texts,
                        total=config.memory_requests,
                        every=config.memory_every,
                        concurrency=config.memory_concurrency,
                        max_new_tokens=config.memory_new_tokens,
                        streaming=streaming,
                    )
    finally:
        await asyncio.to_thread(server.stop)

    overload_env = server_env(
        config.model_dir,
        device=config.device,
        defaults=SERVER_DEFAULTS,
        overrides={
            **overrides,
            "INFERENCE_MAX_BATCH_SIZE": str(config.overload_batch_size),
            "INFERENCE_MAX_QUEUE": str(config.overload_queue),
        },
    )
    with phases("overload"):
        small = await asyncio.to_thread(
            start_server, overload_env, log_path=config.log_dir / "server-overload.log", cwd=REPO_ROOT
        )
        try:
            async with inference_stub(small.target) as stub:
                overload = await measure_overload(
                    stub,
                    texts,
                    burst=config.overload_burst,
                    max_new_tokens=config.overload_new_tokens,
                    streaming=streaming,
                    rpc_timeout=120,
                )
                saturated = await measure_saturated_refusals(
                    stub,
                    texts,
                    slots=config.overload_batch_size,
                    queue=config.overload_queue,
                    probes=config.refusal_probes,
                    hold_new_tokens=config.hold_new_tokens,
                    streaming=streaming,
                )
        finally:
            await asyncio.to_thread(small.stop)
    return ServerMeasurements(
        streaming, env, load, open_loop, alone_first, alone_short, memory, overload, saturated, overload_env
    )


def _ttfts(results: Sequence[CallResult]) -> list[float]:
    """TTFT where the stream showed it, else the whole latency."""
    return [r.ttft_s if r.ttft_s is not None else r.latency_s for r in results if r.ok]


def _agreement(
    tokenizer: PreTrainedTokenizerBase,
    requests: Sequence[BenchRequest],
    results: Sequence[CallResult],
    outputs: Sequence[list[int]],
) -> tuple[int, int, int]:
    """(same text as sequential greedy, compared, of those ended by EOS on the server)."""
    same = compared = eos = 0
    for request, result, ids in zip(requests, results, outputs, strict=True):
        if not result.ok:
            continue
        tokens = result.completion_tokens
        if result.finish_reason == inference_pb2.FINISH_REASON_EOS:
            eos += 1
            tokens -= 1
        expected = str(tokenizer.decode(ids[: min(tokens, request.max_new_tokens)], skip_special_tokens=True))
        compared += 1
        same += expected.strip() == result.text.strip()
    return same, compared, eos


def server_row(name: str, requests: Sequence[BenchRequest], load: Load) -> Row:
    results = load.results
    useful = sum(min(r.completion_tokens, q.max_new_tokens) for r, q in zip(results, requests, strict=True) if r.ok)
    return Row.of(
        name,
        useful_tokens=useful,
        seconds=load.seconds,
        latencies=[r.latency_s for r in results if r.ok],
        ttfts=_ttfts(results),
    )


def _latencies_of(requests: Sequence[BenchRequest], results: Sequence[CallResult], new_tokens: int) -> list[float]:
    return [r.latency_s for r, q in zip(results, requests, strict=True) if r.ok and q.max_new_tokens == new_tokens]


def _ms_percentiles(values: Sequence[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms"


def mode_row(result: ModeResult) -> Row:
    return Row.of(
        result.name,
        useful_tokens=result.useful_tokens,
        seconds=result.seconds,
        latencies=result.latencies_s,
        ttfts=result.ttfts_s,
    )


def build_checks(
    requests: Sequence[BenchRequest],
    rows: Mapping[str, Row],
    server: ServerMeasurements,
    shortest: int,
    *,
    device: str,
    short_reference: ShortReference,
) -> list[Check]:
    burst, open_loop = rows[BURST], rows[OPEN_LOOP]
    over_sequential = ratio(burst.tokens_per_s, rows["sequential"].tokens_per_s)
    unary = "" if server.streaming else " (unary: TTFT = latency)"
    alone_ttft_p99 = percentile(_ttfts(server.alone_first_token), 99)
    short_alone_p99 = percentile([r.latency_s for r in server.alone_short if r.ok], 99)
    short_burst = _latencies_of(requests, server.load.results, shortest)
    short_open = _latencies_of(server.open_loop.requests, server.open_loop.load.results, shortest)
    one_at_a_time = server.saturated.rejected_s
    burst_refusals = server.overload.rejected_s
    return [
        ratio_check("burst tok/s / bound", ratio(burst.tokens_per_s, rows["bound"].tokens_per_s), at_least=0.8),
        ratio_check("burst tok/s / static", ratio(burst.tokens_per_s, rows["static"].tokens_per_s), at_least=2),
        # The GPU target: on a CPU, prefill's compute dominates and no scheduler gets near it.
        ratio_check("burst tok/s / sequential (GPU)", over_sequential, at_least=10)
        if device == "cuda"
        else info_check("burst tok/s / sequential (target on a GPU only)", over_sequential),
        ratio_check(
            f"p99 TTFT open loop ({server.open_loop.fraction:g}x) / alone{unary}",
            ratio(open_loop.p99_ttft_s, alone_ttft_p99),
            at_most=3,
        ),
        info_check(f"p99 TTFT burst of {len(requests)} / alone{unary}", ratio(burst.p99_ttft_s, alone_ttft_p99)),
        ratio_check(
            f"p99 latency of {shortest}-token requests, burst / alone",
            ratio(percentile(short_burst, 99), short_alone_p99),
            at_most=3,
        ),
        info_check(f"  reference: {shortest}-token requests first, no gRPC / alone", short_reference.ratio),
        ratio_check(
            f"p99 latency of {shortest}-token requests, open loop / alone",
            ratio(percentile(short_open, 99), short_alone_p99),
            at_most=3,
        ),
        ms_check("refusal p99 ms, one at a time, saturated", one_at_a_time, at_most=10),
        info_check(f"refusal p99 ms, burst of {server.overload.burst}", percentile(burst_refusals, 99) * 1000),
    ]


def _shown_path(path: Path) -> Path:
    """Relative to the repository when inside it, so RESULTS.md names no machine's layout."""
    return path.resolve().relative_to(REPO_ROOT) if path.resolve().is_relative_to(REPO_ROOT) else path


def _lengths(values: Sequence[int]) -> str:
    return f"{min(values)}-{max(values)} (mean {statistics.fmean(values):.1f})"


def _memory_table(memory: MemoryRun) -> str:
    rows = [[str(s.requests), f"{s.rss_bytes / MIB:.1f}"] for s in memory.samples]
    table = format_table(["requests", "RSS MiB"], rows)
    after_warm_up = memory.samples[1] if len(memory.samples) > 2 else memory.samples[0]
    growth = (memory.samples[-1].rss_bytes - after_warm_up.rss_bytes) / MIB
    errors = ", ".join(f"{k} x{v}" for k, v in sorted(memory.errors.items())) or "none"
    return (
        f"{table}\n"
        f"growth (last - first after warm-up at {after_warm_up.requests}): {growth:+.1f} MiB; "
        f"{memory.samples[-1].requests} requests in {memory.seconds:.0f}s; errors: {errors}"
    )


def _refusals(rejected: Sequence[float]) -> str:
    if not rejected:
        return "n/a: no RESOURCE_EXHAUSTED (the server does not enforce INFERENCE_MAX_QUEUE?)"
    return f"{len(rejected)} RESOURCE_EXHAUSTED, {_ms_percentiles(rejected)}"


def _codes(codes: Mapping[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(codes.items()))


def _served_line(
    name: str,
    tokenizer: PreTrainedTokenizerBase,
    requests: Sequence[BenchRequest],
    load: Load,
    outputs: Sequence[list[int]],
) -> str:
    failed = [r.code for r in load.results if not r.ok]
    same, compared, eos = _agreement(tokenizer, requests, load.results, outputs)
    return (
        f"{name}: {len(failed)} failed requests{': ' + ', '.join(failed) if failed else ''}; "
        f"greedy text equal to sequential's for {same}/{compared} ({eos} ended by EOS on the server)"
    )


def render(
    config: BenchConfig,
    *,
    loaded: LoadedModel,
    requests: Sequence[BenchRequest],
    modes: Mapping[str, ModeResult],
    outputs: Sequence[list[int]],
    server: ServerMeasurements,
    short_reference: ShortReference,
    phases: Phases,
) -> tuple[list[Row], list[Check], str]:
    shortest = config.output_tokens[0]
    rows = {name: mode_row(result) for name, result in modes.items()}
    open_loop = server.open_loop
    rows[BURST] = server_row(BURST, requests, server.load)
    rows[OPEN_LOOP] = server_row(OPEN_LOOP, open_loop.requests, open_loop.load)
    ordered = [rows[name] for name in ("sequential", "static", "bound", BURST, OPEN_LOOP)]
    checks = build_checks(requests, rows, server, shortest, device=config.device, short_reference=short_reference)
    burst = rows[BURST]
    params = loaded.parameter_count / 1e6
    api = "GenerateStream" if server.streaming else "Generate (GenerateStream answered UNIMPLEMENTED: TTFT = latency)"
    alone_ttft = _ttfts(server.alone_first_token)
    alone_short = [r.latency_s for r in server.alone_short if r.ok]
    burst_short = _latencies_of(requests, server.load.results, shortest)
    open_short = _latencies_of(open_loop.requests, open_loop.load.results, shortest)
    burst_rate = sum(r.ok for r in server.load.results) / server.load.seconds
    open_outputs = [outputs[i % len(outputs)] for i in range(len(open_loop.requests))]
    overload, saturated = server.overload, server.saturated
    small = _inference_env({k: v for k, v in server.overload_env.items() if k in OVERLOAD_KNOBS})
    not_refused = _codes(saturated.other_codes)
    lines = [
        f"inference bench: DialoGPT-{config.arch_name} architecture, random weights ({params:.1f}M params), "
        f"device {config.device}, N={config.n}, seed {config.seed}",
        f"workload: prompts {_lengths([len(r.prompt_ids) for r in requests])} tokens, "
        f"outputs {_lengths([r.max_new_tokens for r in requests])} tokens, "
        f"{sum(r.max_new_tokens == shortest for r in requests)} of exactly {shortest}; greedy",
        f"server: {api}; env: {_inference_env(server.env)}",
        f"{BURST}: the {len(requests)} requests at once; {OPEN_LOOP}: {len(open_loop.requests)} requests of the same "
        f"mix sent open loop, Poisson arrivals (seed {config.seed}) at {open_loop.rate_per_s:.2f} req/s = "
        f"{open_loop.fraction:g} x the {burst_rate:.2f} req/s the burst achieved (its tok/s follows the arrivals)",
        "",
        mode_table(ordered),
        "",
        f"burst/bound {ratio(burst.tokens_per_s, rows['bound'].tokens_per_s):.2f}   "
        f"burst/static {ratio(burst.tokens_per_s, rows['static'].tokens_per_s):.2f}   "
        f"burst/sequential {ratio(burst.tokens_per_s, rows['sequential'].tokens_per_s):.2f}",
        f"static: {modes['static'].note}",
        f"bound: {modes['bound'].note}",
        _served_line(BURST, loaded.tokenizer, requests, server.load, outputs)
        + f"; {shortest}-token requests p50 {percentile(burst_short, 50) * 1000:.0f} ms, "
        f"p99 {percentile(burst_short, 99) * 1000:.0f} ms",
        _served_line(OPEN_LOOP, loaded.tokenizer, open_loop.requests, open_loop.load, open_outputs)
        + f"; {shortest}-token requests p50 {percentile(open_short, 50) * 1000:.0f} ms, "
        f"p99 {percentile(open_short, 99) * 1000:.0f} ms",
        f"alone on the same server: TTFT p50 {percentile(alone_ttft, 50) * 1000:.0f} ms, "
        f"p99 {percentile(alone_ttft, 99) * 1000:.0f} ms (all {len(alone_ttft)} prompts, 1 new token); "
        f"{shortest}-token requests p50 {percentile(alone_short, 50) * 1000:.0f} ms, "
        f"p99 {percentile(alone_short, 99) * 1000:.0f} ms",
        f"{shortest}-token reference, in process: the {sum(r.max_new_tokens == shortest for r in requests)} of them "
        f"served first and together {short_reference.together.seconds * 1000:.0f} ms "
        f"({short_reference.together.note}); each alone p99 {short_reference.alone_p99_s * 1000:.0f} ms",
        "",
        checks_table(checks),
        "",
        f"refusals, on a server with {small}:",
        f"- one at a time while saturated ({config.overload_batch_size} running x {config.hold_new_tokens} new tokens, "
        f"{config.overload_queue} queued): {saturated.probes} probes, {_refusals(saturated.rejected_s)}"
        f"{'; not refused: ' + not_refused if not_refused else ''}",
        f"  control: invalid requests one at a time on the idle server (INVALID_ARGUMENT) "
        f"{_ms_percentiles(saturated.invalid_s)}",
        f"- burst of {overload.burst} x {config.overload_new_tokens} new tokens at once: "
        f"{_refusals(overload.rejected_s)}; {overload.accepted} served"
        f"{'; ' + _codes(overload.other_codes) if overload.other_codes else ''}",
        f"  control: the same burst refused at validation (INVALID_ARGUMENT) {_ms_percentiles(overload.invalid_s)}",
    ]
    if server.memory is not None:
        lines += [
            "",
            "server RSS over short requests "
            f"({SHORT_PROMPT_TOKENS}-token prompts, {config.memory_new_tokens} new tokens, "
            f"concurrency {config.memory_concurrency}):",
            _memory_table(server.memory),
        ]
    lines += ["", phases.summary()]
    return ordered, checks, "\n".join(lines)


def run_bench(config: BenchConfig, *, say: Callable[[str], None] = _say) -> BenchReport:
    """Run every mode, print nothing but progress, write `config.results_path`, return the report."""
    phases = Phases(say)
    if config.torch_threads is not None:
        torch.set_num_threads(config.torch_threads)
    device = torch.device(config.device)
    with phases("model"):
        built = ensure_checkpoint(config.model_dir, config.arch, seed=config.seed)
        say(f"bench: {'built' if built else 'reusing'} {config.model_dir}")
        loaded = load_model(str(config.model_dir), device)
    requests = make_workload(
        loaded.tokenizer,
        n=config.n,
        seed=config.seed,
        context_length=loaded.context_length,
        prompt_tokens=config.prompt_tokens,
        output_tokens=config.output_tokens,
    )
    texts = short_texts(loaded.tokenizer, count=16, tokens=SHORT_PROMPT_TOKENS, seed=config.seed)
    modes: dict[str, ModeResult] = {}
    with phases("warm-up"):
        warm_up(loaded, requests)
    with phases("sequential"):
        modes["sequential"], outputs = run_sequential(loaded, requests)
    with phases("static"):
        modes["static"] = run_static(loaded, requests)
    with phases("bound"):
        bounds = [run_bound(loaded, requests)]
    shortest = config.output_tokens[0]
    with phases(f"{shortest}-token reference"):
        short_reference = ShortReference(
            run_bound(loaded, [r for r in requests if r.max_new_tokens == shortest]),
            percentile(
                [
                    latency
                    for r, latency in zip(requests, modes["sequential"].latencies_s, strict=True)
                    if r.max_new_tokens == shortest
                ],
                99,
            ),
        )
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()

    def bound_again() -> None:
        bounds.append(run_bound(loaded, requests))

    # The bound is timed on both sides of the burst: on a shared machine, speed drifts between phases.
    server = asyncio.run(measure_server(config, requests, texts, phases, after_burst=bound_again))
    modes["bound"] = mean_of(bounds, when="before the server's burst and right after it")
    rows, checks, text = render(
        config,
        loaded=loaded,
        requests=requests,
        modes=modes,
        outputs=outputs,
        server=server,
        short_reference=short_reference,
        phases=phases,
    )
    machine = machine_lines(config.device)
    setup = [
        f"model: `{_shown_path(config.model_dir)}` (GPT-2, n_layer {config.arch.n_layer}, n_head {config.arch.n_head}, "
        f"n_embd {config.arch.n_embd}, seed {config.seed}, random weights)",
        "useful output tokens: what each request got up to its own target (tokens past it, as in the static "
        "batch, are waste); tokens/s = useful tokens / wall time of the mode",
        "sequential: each request alone (KV cache, EOS masked as with min_new_tokens); static: one HF generate, "
        "left padded, up to the largest target, every answer returned at its end (TTFT = latency); bound: each "
        "prompt prefilled alone (sum) + all rows decoded together for the mean output length (merge not timed), "
        "timed before the server's burst and again right after it, the mean; "
        "server burst: N gRPC clients at once; server Poisson: the same requests sent open loop at a fraction of "
        "the burst's requests/s (its tok/s is the arrival rate's, not a capacity)",
    ]
    config.results_path.parent.mkdir(parents=True, exist_ok=True)
    previous = config.results_path.read_text(encoding="utf-8") if config.results_path.is_file() else None
    generated = results_markdown(
        title="Inference service benchmark", command=config.command, machine=machine, setup=setup, output=text
    )
    config.results_path.write_text(keep_notes(generated, previous), encoding="utf-8")
    return BenchReport(rows, checks, "\n".join([*machine, "", text]), config.results_path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--arch", choices=sorted(ARCHS), default="small")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--n", type=int, default=32, help="concurrent requests")
    parser.add_argument("--seed", type=int, default=0, help="model weights and workload")
    parser.add_argument(
        "--load-fraction",
        type=float,
        default=BenchConfig.load_fraction,
        help="open-loop arrival rate, as a fraction of the requests/s the burst achieved",
    )
    parser.add_argument("--load-requests", type=int, default=None, help="open-loop requests (default: --n)")
    parser.add_argument("--memory-requests", type=int, default=0, help="RSS run length (0: skip)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="intra-op threads here and in the servers (default: INFERENCE_TORCH_THREADS, else torch's)",
    )
    parser.add_argument("--model-dir", type=Path, default=None, help="default .cache/bench/dialogpt-<arch>-random")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "bench" / "RESULTS.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    threads = args.torch_threads
    if threads is None and os.environ.get("INFERENCE_TORCH_THREADS"):
        threads = int(os.environ["INFERENCE_TORCH_THREADS"])
    config = BenchConfig(
        model_dir=args.model_dir or REPO_ROOT / ".cache" / "bench" / f"dialogpt-{args.arch}-random",
        results_path=args.results,
        arch_name=args.arch,
        arch=ARCHS[args.arch],
        device=args.device,
        n=args.n,
        seed=args.seed,
        torch_threads=threads,
        load_fraction=args.load_fraction,
        load_requests=args.load_requests,
        memory_requests=args.memory_requests,
        command=shlex.join(["python", "-m", "bench.inference_bench", *(sys.argv[1:] if argv is None else argv)]),
    )
    report = run_bench(config)
    print(report.text)
    print(f"\nwritten to {report.results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
