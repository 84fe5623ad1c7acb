"""The server phases of the inference bench: a burst, the same requests open loop (Poisson), each
prompt alone, the memory run, then a small-queue server saturated for its refusals."""

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bench.inference_config import REPO_ROOT, BenchConfig
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
from bench.workload import BenchRequest, poisson_arrivals

# The bench's servers must not collide with a running service's metrics port (9464 by default).
SERVER_DEFAULTS: Final = {"INFERENCE_METRICS_PORT": "0"}


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
