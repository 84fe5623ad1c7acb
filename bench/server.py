"""The real service under load: `python -m inference` as a child process and grpc.aio clients."""

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import grpc

from devstack.processes import stop_process
from protos import inference_pb2, inference_pb2_grpc

READY_PREFIX: Final = "INFERENCE_READY port="
CALL_TIMEOUT_S: Final = 600.0


@dataclass
class ServerProcess:
    """A running `python -m inference`; its stderr log goes to `log_path`."""

    process: subprocess.Popen[str]
    port: int
    log_path: Path
    env: dict[str, str]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        """Resident set size from /proc/<pid>/status (VmRSS)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then SIGKILL if it lingers; the exit code."""
        return stop_process(self.process, timeout)


def server_env(
    model_dir: Path, *, device: str, defaults: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, str]:
    """This process's environment (INFERENCE_* the user set included) over `defaults`, then the
    model, device and port 0 the bench needs, then `overrides`."""
    env = {**defaults, **os.environ}
    env.update(MODEL_NAME=str(model_dir), DEVICE=device, INFERENCE_HOST="127.0.0.1", INFERENCE_PORT="0")
    env.update(overrides)
    return env


def start_server(
    env: dict[str, str], *, log_path: Path, cwd: Path | None = None, timeout: float = 300
) -> ServerProcess:
    """Start the server and return once it prints its ready line; raise with its log otherwise."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "inference"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
    ports: list[int] = []
    ready = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:  # keep draining after the ready line
            if not ready.is_set() and line.startswith(READY_PREFIX):
                ports.append(int(line[len(READY_PREFIX) :].strip()))
                ready.set()

    threading.Thread(target=read_stdout, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            tail = "".join(log_path.read_text(encoding="utf-8").splitlines(keepends=True)[-30:])
            raise RuntimeError(f"python -m inference did not become ready; the end of {log_path}:\n{tail}")
    return ServerProcess(process, ports[0], log_path, env)


@dataclass(frozen=True)
class CallResult:
    """One RPC as the client saw it; `ttft_s` is None when only the whole answer was seen."""

    code: str
    latency_s: float
    ttft_s: float | None = None
    completion_tokens: int = 0
    finish_reason: int = 0
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.code == "OK"


def generate_request(request_id: str, text: str, max_new_tokens: int) -> inference_pb2.GenerateRequest:
    return inference_pb2.GenerateRequest(
        request_id=request_id,
        turns=[inference_pb2.Turn(role=inference_pb2.ROLE_USER, text=text)],
        parameters=inference_pb2.GenerationParameters(max_new_tokens=max_new_tokens, do_sample=False),
    )


async def call(
    stub: Any, request: inference_pb2.GenerateRequest, *, streaming: bool, rpc_timeout: float = CALL_TIMEOUT_S
) -> CallResult:
    """`GenerateStream` (TTFT = the first chunk with a token) or `Generate`; errors become results."""
    started = time.perf_counter()
    ttft: float | None = None
    try:
        if not streaming:
            reply = await stub.Generate(request, timeout=rpc_timeout)
            return CallResult(
                "OK", time.perf_counter() - started, None, reply.completion_tokens, reply.finish_reason, reply.text
            )
        texts, tokens, finish = [], 0, 0
        async for chunk in stub.GenerateStream(request, timeout=rpc_timeout):
            if ttft is None and chunk.completion_tokens >= 1:
                ttft = time.perf_counter() - started
            texts.append(chunk.text)
            tokens = max(tokens, chunk.completion_tokens)
            finish = chunk.finish_reason or finish
        return CallResult("OK", time.perf_counter() - started, ttft, tokens, finish, "".join(texts))
    except grpc.aio.AioRpcError as exc:
        return CallResult(exc.code().name, time.perf_counter() - started, ttft)


async def supports_streaming(stub: Any, text: str) -> bool:
    """Whether the server implements `GenerateStream` (a short probe that also warms the channel)."""
    result = await call(stub, generate_request("bench-probe", text, 2), streaming=True)
    if result.code == "UNIMPLEMENTED":
        return False
    if not result.ok:
        raise RuntimeError(f"the streaming probe failed with {result.code}")
    return True


@dataclass(frozen=True)
class Load:
    """Requests fired at the server (all at once, or open loop) and how long until the last answer."""

    results: list[CallResult]
    seconds: float


async def fire_together(stub: Any, requests: Sequence[inference_pb2.GenerateRequest], *, streaming: bool) -> Load:
    started = time.perf_counter()
    results = await asyncio.gather(*(call(stub, r, streaming=streaming) for r in requests))
    return Load(list(results), time.perf_counter() - started)


async def fire_at(
    stub: Any, requests: Sequence[inference_pb2.GenerateRequest], offsets: Sequence[float], *, streaming: bool
) -> Load:
    """Open loop: request i is sent `offsets[i]` seconds after the start, whether or not the
    earlier ones have been answered (as serving benchmarks do with a request rate)."""
    started = time.perf_counter()

    async def send(request: inference_pb2.GenerateRequest, offset: float) -> CallResult:
        await asyncio.sleep(max(0.0, started + offset - time.perf_counter()))
        return await call(stub, request, streaming=streaming)

    results = await asyncio.gather(*(send(r, o) for r, o in zip(requests, offsets, strict=True)))
    return Load(list(results), time.perf_counter() - started)


async def one_by_one(
    stub: Any, requests: Sequence[inference_pb2.GenerateRequest], *, streaming: bool
) -> list[CallResult]:
    return [await call(stub, r, streaming=streaming) for r in requests]


@dataclass(frozen=True)
class MemorySample:
    requests: int
    rss_bytes: int


@dataclass(frozen=True)
class MemoryRun:
    samples: list[MemorySample]
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def measure_memory(
    stub: Any,
    server: ServerProcess,
    texts: Sequence[str],
    *,
    total: int,
    every: int,
    concurrency: int,
    max_new_tokens: int,
    streaming: bool,
) -> MemoryRun:
    """`total` short requests, `concurrency` at a time, sampling the server's RSS every `every`."""
    samples = [MemorySample(0, server.rss_bytes())]
    errors: dict[str, int] = {}
    indices = iter(range(total))
    done = 0

    async def worker() -> None:
        nonlocal done
        for i in indices:  # shared iterator: each index is taken by one worker
            request = generate_request(f"bench-mem-{i}", texts[i % len(texts)], max_new_tokens)
            result = await call(stub, request, streaming=streaming)
            if not result.ok:
                errors[result.code] = errors.get(result.code, 0) + 1
            done += 1
            if done % every == 0:
                samples.append(MemorySample(done, server.rss_bytes()))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return MemoryRun(samples, errors, time.perf_counter() - started)


@dataclass(frozen=True)
class OverloadRun:
    """A burst against a server with a small queue: how fast the refusals came back."""

    burst: int
    rejected_s: list[float]
    accepted: int
    other_codes: dict[str, int]
    # The same burst of requests refused at validation (no turns) on the idle server: the floor
    # that this client, gRPC and the server's event loop put under any refusal.
    invalid_s: list[float]


async def measure_overload(
    stub: Any, texts: Sequence[str], *, burst: int, max_new_tokens: int, streaming: bool, rpc_timeout: float
) -> OverloadRun:
    invalid = [inference_pb2.GenerateRequest(request_id=f"bench-invalid-{i}") for i in range(burst)]
    refused = await asyncio.gather(*(call(stub, r, streaming=streaming, rpc_timeout=rpc_timeout) for r in invalid))
    requests = [
        generate_request(f"bench-burst-{i}", text, max_new_tokens)
        for i, text in zip(range(burst), itertools.cycle(texts), strict=False)
    ]
    results = await asyncio.gather(*(call(stub, r, streaming=streaming, rpc_timeout=rpc_timeout) for r in requests))
    other: dict[str, int] = {}
    for result in results:
        if result.code not in ("OK", "RESOURCE_EXHAUSTED"):
            other[result.code] = other.get(result.code, 0) + 1
    return OverloadRun(
        burst=burst,
        rejected_s=[r.latency_s for r in results if r.code == "RESOURCE_EXHAUSTED"],
        accepted=sum(r.ok for r in results),
        other_codes=other,
        invalid_s=[r.latency_s for r in refused if r.code == "INVALID_ARGUMENT"],
    )


@dataclass(frozen=True)
class SaturatedRefusals:
    """Probes sent one at a time to a server whose slots and queue were full: how fast each was refused."""

    probes: int
    rejected_s: list[float]
    # Probes that were not refused (a holder ended and freed room), by how they ended.
    other_codes: dict[str, int]
    # Invalid requests sent one at a time to the idle server: one client's round-trip floor.
    invalid_s: list[float]


async def _hold(stub: Any, request: inference_pb2.GenerateRequest, *, streaming: bool, admitted: asyncio.Event) -> None:
    """Keep `request` running until cancelled; `admitted` is set at its first token (streaming)."""
    if not streaming:
        await call(stub, request, streaming=False)
        return
    with contextlib.suppress(grpc.aio.AioRpcError):
        async for chunk in stub.GenerateStream(request, timeout=CALL_TIMEOUT_S):
            if chunk.completion_tokens >= 1:
                admitted.set()


async def measure_saturated_refusals(
    stub: Any,
    texts: Sequence[str],
    *,
    slots: int,
    queue: int,
    probes: int,
    hold_new_tokens: int,
    streaming: bool,
    probe_timeout: float = 1.0,
    settle_s: float = 1.0,
) -> SaturatedRefusals:
    """Fill the `slots` of the batch with long requests, then the `queue` behind them, and send
    `probes` requests one after the other while the server decodes: each should be refused at once."""
    invalid = [
        await call(stub, inference_pb2.GenerateRequest(request_id=f"bench-invalid-one-{i}"), streaming=streaming)
        for i in range(probes)
    ]
    running: list[asyncio.Task[None]] = []

    def hold(count: int, kind: str) -> list[asyncio.Event]:
        events = []
        for i in range(count):
            admitted = asyncio.Event()
            request = generate_request(f"bench-hold-{kind}-{i}", texts[i % len(texts)], hold_new_tokens)
            running.append(asyncio.create_task(_hold(stub, request, streaming=streaming, admitted=admitted)))
            events.append(admitted)
        return events

    try:
        in_batch = hold(slots, "slot")
        if streaming:
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in in_batch)), timeout=CALL_TIMEOUT_S)
        else:
            await asyncio.sleep(settle_s)
        hold(queue, "queue")
        await asyncio.sleep(settle_s)  # the queue holders reach the queue before the first probe
        results = [
            await call(
                stub,
                generate_request(f"bench-probe-{i}", texts[i % len(texts)], 1),
                streaming=streaming,
                rpc_timeout=probe_timeout,
            )
            for i in range(probes)
        ]
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    other: dict[str, int] = {}
    for result in results:
        if result.code != "RESOURCE_EXHAUSTED":
            other[result.code] = other.get(result.code, 0) + 1
    return SaturatedRefusals(
        probes=probes,
        rejected_s=[r.latency_s for r in results if r.code == "RESOURCE_EXHAUSTED"],
        other_codes=other,
        invalid_s=[r.latency_s for r in invalid if r.code == "INVALID_ARGUMENT"],
    )


@contextlib.asynccontextmanager
async def inference_stub(target: str) -> AsyncIterator[Any]:
    """A grpc.aio stub on a connected channel."""
    async with grpc.aio.insecure_channel(target) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=30)
        yield inference_pb2_grpc.InferenceStub(channel)
