"""`python -m bench.gateway_bench` (`make bench-gateway`): what a patient's turn costs the gateway, against the
ceiling of our own stack, measured in one run so the noise of a shared machine cancels out in the ratios.

The gateway runs under uvicorn (1 and 2 workers) on the machine's Postgres (a database of the run's own, migrated
and seeded with the demo clinic) and a redis-server of the run's own, with an inference server that answers at once
(bench/inference_stand_in.py). Simulated patients replay a scripted conversation: a greeting, a booking request
(answered with the identity question), "mis citas", thanks (template turns), and small talk that goes to the model.
Each patient is a fresh phone on every pass through the script. Per configuration:

- saturation: `SATURATION_PATIENTS` patients in a closed loop, no think time, template turns only: requests/s and
  the gateway's CPU milliseconds per turn (its processes' CPU time over the window, from /proc);
- fixed loads: 50 and 200 patients with a think time (3 s by default) over the whole script: p50/p99 latency;
- Redis commands per turn (INFO commandstats of the run's own server, over the saturation window: the commands
  a Lua script runs inside the server count too).

Then, one patient at a time through proxies that count the Postgres and Redis protocols' messages, the Postgres
round trips and statements of each kind of turn, and its Redis round trips and commands (an EVALSHA is one, a
pipeline one round trip). The same is measured of a minimal FastAPI app
under the same uvicorn that parses /chat's body and does one SELECT and one INSERT (bench/minimal_app.py).

The load is our own asyncio + httpx closed loop rather than locust: on a 2-core machine a load tool's own processes
(locust's gevent workers and its master) take cores the gateway needs, while one event loop with one connection pool
costs little and lets every patient's next message follow the script; the window, the CPU reads and the think time
are ours to place exactly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import platform
import random
import resource
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import asyncpg
import httpx

from bench.gateway_services import (
    BenchDatabase,
    BenchRedis,
    CountingProxy,
    RedisCountingProxy,
    ServerProcess,
    bench_database,
    bench_redis,
    uvicorn_app,
)
from bench.inference_stand_in import StandIn, stand_in_inference
from bench.report import (
    INFO,
    Check,
    checks_table,
    cpu_model,
    format_table,
    keep_notes,
    percentile,
    ratio,
    ratio_check,
    results_markdown,
)

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).with_name("GATEWAY.md")
GATEWAY = "gateway.app:create_app"
MINIMAL = "bench.minimal_app:create_app"
SMALL_TALK = "small talk"
# (kind, what the patient writes): one pass is one patient's visit; the first four are answered from templates.
SCRIPT: tuple[tuple[str, str], ...] = (
    ("greeting", "Hola, buenos días"),
    ("booking", "quiero una cita con pediatría"),
    ("mis citas", "mis citas"),
    ("thanks", "muchas gracias"),
    (SMALL_TALK, "hoy hace mucho frío en La Paz"),
)
TEMPLATE_SCRIPT = tuple(turn for turn in SCRIPT if turn[0] != SMALL_TALK)
MINIMAL_SCRIPT = (("minimal /chat", "Hola, buenos días"),)
# The targets (19): shown next to what was measured.
TARGET_CPU_MS = 5.0
TARGET_ROUND_TRIPS = 6
TARGET_THROUGHPUT_RATIO = 0.5
TARGET_P99_MS_200 = 300.0


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class BenchConfig:
    seconds: float = 10.0
    warmup: float = 4.0
    think: float = 3.0
    loads: tuple[int, ...] = (50, 200)
    saturation_patients: int = 16
    # Saturation is measured this many times and the best window kept: on a shared machine, noise (a neighbour, the
    # load generator's own hiccups) only ever takes throughput away, in one app's window and not the other's.
    saturation_windows: int = 2
    workers: tuple[int, ...] = (1, 2)
    accounting_passes: int = 5
    results_path: Path | None = RESULTS
    log_dir: Path | None = None

    @classmethod
    def from_env(cls) -> BenchConfig:
        """BENCH_SECONDS, BENCH_WARMUP, BENCH_THINK, BENCH_LOADS (comma-separated), BENCH_SATURATION_PATIENTS,
        BENCH_SATURATION_WINDOWS, BENCH_WORKERS (comma-separated)."""
        return cls(
            seconds=_env_float("BENCH_SECONDS", cls.seconds),
            warmup=_env_float("BENCH_WARMUP", cls.warmup),
            think=_env_float("BENCH_THINK", cls.think),
            loads=tuple(int(n) for n in os.environ.get("BENCH_LOADS", "50,200").split(",")),
            saturation_patients=int(os.environ.get("BENCH_SATURATION_PATIENTS", cls.saturation_patients)),
            saturation_windows=int(os.environ.get("BENCH_SATURATION_WINDOWS", cls.saturation_windows)),
            workers=tuple(int(n) for n in os.environ.get("BENCH_WORKERS", "1,2").split(",")),
        )


@dataclass
class Phase:
    """What one load produced inside its measuring window."""

    patients: int
    seconds: float = 0.0
    turns: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    redis_commands: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.turns / self.seconds if self.seconds > 0 else math.nan

    @property
    def cpu_ms_per_turn(self) -> float:
        return self.cpu_seconds * 1000 / self.turns if self.turns else math.nan

    @property
    def redis_per_turn(self) -> float:
        return self.redis_commands / self.turns if self.turns else math.nan

    def latency_ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


@dataclass
class Configuration:
    app: str  # "gateway" or "minimal app"
    workers: int
    saturation: Phase
    loads: dict[int, Phase]

    @property
    def name(self) -> str:
        return f"{self.app}, {self.workers} worker{'s' if self.workers > 1 else ''}"


@dataclass(frozen=True)
class TurnCost:
    kind: str
    turns: int
    round_trips: float
    statements: float
    redis_calls: float
    redis_commands: float


@dataclass
class Report:
    configurations: list[Configuration]
    costs: list[TurnCost]
    checks: list[Check]
    text: str


class Phones:
    """A fresh, valid Bolivian mobile number for every pass through the script."""

    def __init__(self) -> None:
        self._next = itertools.count(71_000_000)

    def __call__(self) -> str:
        return f"+591{next(self._next)}"


async def _say(client: httpx.AsyncClient, api_key: str, phone: str, text: str) -> httpx.Response:
    body = {"messages": [{"role": "user", "content": text}], "user_id": phone}
    return await client.post("/chat", json=body, headers={"X-API-Key": api_key})


async def drive(
    url: str,
    api_key: str,
    script: Sequence[tuple[str, str]],
    *,
    patients: int,
    think: float,
    warmup: float,
    seconds: float,
    phones: Phones,
    counters: Callable[[], tuple[float, int]],
    seed: int = 7,
) -> Phase:
    """`patients` in a closed loop over `script`, each waiting `think` (±50 %) between turns; what finished inside
    the window [warmup, warmup + seconds] is the phase, with `counters()` (CPU seconds, Redis commands) read at its
    ends."""
    phase = Phase(patients)
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=patients, max_keepalive_connections=patients)
    window: list[float] = []
    stop = asyncio.Event()

    async def patient(client: httpx.AsyncClient, offset: float) -> None:
        await asyncio.sleep(offset)
        while not stop.is_set():
            phone = phones()
            for _, text in script:
                if stop.is_set():
                    return
                started = time.perf_counter()
                try:
                    response = await _say(client, api_key, phone, text)
                    status = str(response.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                ended = time.perf_counter()
                if window and window[0] <= ended <= window[0] + seconds:
                    phase.turns += 1
                    phase.latencies.append(ended - started)
                    phase.statuses[status] += 1
                    phase.errors += status != "200"
                if think > 0:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        # Arrivals spread over one think time, so the patients do not write in lockstep.
        tasks = [asyncio.create_task(patient(client, rng.uniform(0, think))) for _ in range(patients)]
        await asyncio.sleep(warmup)
        cpu_before, redis_before = counters()
        window.append(time.perf_counter())
        await asyncio.sleep(seconds)
        cpu_after, redis_after = counters()
        phase.seconds = time.perf_counter() - window[0]
        stop.set()
        _, pending = await asyncio.wait(tasks, timeout=30)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    phase.cpu_seconds = cpu_after - cpu_before
    phase.redis_commands = redis_after - redis_before
    return phase


async def account(
    url: str,
    api_key: str,
    script: Sequence[tuple[str, str]],
    *,
    passes: int,
    proxy: CountingProxy,
    redis_proxy: RedisCountingProxy,
    trace: list[str] | None = None,
) -> list[TurnCost]:
    """One patient at a time, `passes` passes over `script` after one to warm up: each kind of turn's Postgres
    round trips and statements and Redis round trips and commands (the proxies' counts), per turn; into `trace`,
    each turn's statements and Redis commands as sent."""
    seen: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    phones = Phones()
    pg, rd = proxy.counts, redis_proxy.counts

    def counted() -> tuple[int, int, int, int]:
        return pg.round_trips, pg.statements, rd.round_trips, rd.statements

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for index in range(passes + 1):
            phone = phones()
            for kind, text in script:
                before = counted()
                sent_before, redis_sent_before = len(pg.sent), len(rd.sent)
                response = await _say(client, api_key, phone, text)
                response.raise_for_status()
                await asyncio.sleep(0.05)  # what the turn left to finish after answering (its log, a stored row)
                after = counted()
                if trace is not None:
                    trace.append(f"## pass {index}, {kind} ({after[0] - before[0]} round trips)")
                    trace.extend(pg.sent[sent_before:])
                    trace.append("redis: " + " ".join(rd.sent[redis_sent_before:]))
                if index == 0:
                    continue
                trips, statements, redis_trips, commands = (a - b for a, b in zip(after, before, strict=True))
                seen[kind].append((trips, statements, redis_trips, commands))
    # The median of the passes: the job queue's polling (its own connections, a few dozen statements a second)
    # lands in some turns' windows, and is not what a turn costs.
    return [
        TurnCost(kind, len(counts), *(statistics.median(c[i] for c in counts) for i in range(4)))
        for kind, counts in seen.items()
    ]


@dataclass
class Run:
    """Everything one run shares: the database, Redis, the stand-in model and where logs go."""

    config: BenchConfig
    database: BenchDatabase
    redis: BenchRedis
    inference: StandIn
    log_dir: Path
    say: Callable[[str], None]

    def env(self, app: str, database_url: str) -> dict[str, str]:
        if app == MINIMAL:
            return {"BENCH_DATABASE_URL": database_url}
        lifted = str(1_000_000)
        return {
            "APP_ENV": "development",
            # Production's default (development records every trace): a tenth of the turns make spans.
            "OTEL_TRACES_SAMPLER_RATIO": "0.1",
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis.url,
            "REDIS_KEY_PREFIX": "bench-gateway",
            "INFERENCE_TARGET": self.inference.target,
            # Never called: the template turns ask for the identity question before any code is sent.
            "SMS_BASE_URL": "http://127.0.0.1:9",
            "SMS_API_TOKEN": "bench-sms-token",
            "OTP_SECRET": "bench-otp-secret-of-at-least-16-bytes",
            # The bench's patients write faster than people; every limit lifted so none answers 429.
            "RATE_LIMIT_USER_PER_MINUTE": lifted,
            "RATE_LIMIT_USER_BURST": lifted,
            "RATE_LIMIT_KEY_PER_MINUTE": lifted,
            "RATE_LIMIT_KEY_BURST": lifted,
        }

    def configuration(self, app: str, workers: int) -> Configuration:
        name = "gateway" if app == GATEWAY else "minimal app"
        script, mixed = (TEMPLATE_SCRIPT, SCRIPT) if app == GATEWAY else (MINIMAL_SCRIPT, MINIMAL_SCRIPT)
        database_url = self.database.runtime_url if app == GATEWAY else self.database.owner_url
        config = self.config
        phones = Phones()
        with uvicorn_app(app, self.env(app, database_url), workers=workers, log=self.log_dir / "servers.log") as server:

            def counters(server: ServerProcess = server) -> tuple[float, int]:
                return server.cpu_seconds(), self.redis.commands()

            def phase(script: Sequence[tuple[str, str]], patients: int, think: float) -> Phase:
                measured = asyncio.run(
                    drive(
                        server.url,
                        self.database.api_key,
                        script,
                        patients=patients,
                        think=think,
                        warmup=max(config.warmup, think),
                        seconds=config.seconds,
                        phones=phones,
                        counters=counters,
                    )
                )
                self.say(
                    f"  {name}, {workers} worker(s), {patients} patients, think {think:g} s: "
                    f"{measured.per_second:.1f} turns/s, p99 {measured.latency_ms(99):.0f} ms, "
                    f"{measured.cpu_ms_per_turn:.2f} CPU ms/turn, statuses {dict(measured.statuses)}"
                )
                return measured

            # Every kind of turn once in every worker before anything is measured: what a process does on its
            # first small-talk turn or first booking (lazy imports, word lists) is not a turn's cost.
            asyncio.run(
                drive(
                    server.url,
                    self.database.api_key,
                    mixed,
                    patients=4 * workers,
                    think=0.0,
                    warmup=0.0,
                    seconds=config.warmup,
                    phones=phones,
                    counters=counters,
                )
            )
            windows = [phase(script, config.saturation_patients, 0.0) for _ in range(config.saturation_windows)]
            saturation = max(windows, key=lambda window: window.per_second)
            loads = {patients: phase(mixed, patients, config.think) for patients in config.loads}
        return Configuration(name, workers, saturation, loads)

    def turn_costs(self, app: str) -> list[TurnCost]:
        script = SCRIPT if app == GATEWAY else MINIMAL_SCRIPT
        database_url = self.database.runtime_url if app == GATEWAY else self.database.owner_url

        trace: list[str] = []
        redis_port = int(self.redis.url.rsplit(":", 1)[1].split("/")[0])
        with (
            CountingProxy(("127.0.0.1", 5432)).serving() as proxy,
            RedisCountingProxy(("127.0.0.1", redis_port)).serving() as redis_proxy,
        ):
            env = self.env(app, database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
            if "REDIS_URL" in env:
                env["REDIS_URL"] = f"redis://127.0.0.1:{redis_proxy.port}/0"
            with uvicorn_app(app, env, workers=1, log=self.log_dir / "servers.log") as server:
                costs = asyncio.run(
                    account(
                        server.url,
                        self.database.api_key,
                        script,
                        passes=self.config.accounting_passes,
                        proxy=proxy,
                        redis_proxy=redis_proxy,
                        trace=trace,
                    )
                )
        # Which statement each round trip sent, turn by turn: where to look for the next one to save.
        (self.log_dir / f"statements-{'gateway' if app == GATEWAY else 'minimal'}.txt").write_text(
            "\n".join(trace) + "\n", encoding="utf-8"
        )
        return costs


def _f(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def main_table(configurations: Sequence[Configuration], loads: Sequence[int]) -> str:
    headers = ["configuration", "sat. req/s", "CPU ms/turn", "Redis cmds/turn"]
    for patients in loads:
        headers += [f"p50 ms @{patients}", f"p99 ms @{patients}", f"req/s @{patients}"]
    headers.append("errors")
    rows = []
    for c in configurations:
        row = [
            c.name,
            _f(c.saturation.per_second),
            _f(c.saturation.cpu_ms_per_turn, 2),
            _f(c.saturation.redis_per_turn),
        ]
        for patients in loads:
            phase = c.loads[patients]
            row += [_f(phase.latency_ms(50), 0), _f(phase.latency_ms(99), 0), _f(phase.per_second)]
        row.append(str(c.saturation.errors + sum(p.errors for p in c.loads.values())))
        rows.append(row)
    return format_table(headers, rows)


def ratio_table(configurations: Sequence[Configuration], loads: Sequence[int]) -> str:
    """Gateway over the minimal app with as many workers, in the same run."""
    by_key = {(c.app, c.workers): c for c in configurations}
    headers = ["gateway / minimal app", "sat. req/s", "CPU ms/turn", *(f"p99 @{n}" for n in loads)]
    rows = []
    for (app, workers), gateway in by_key.items():
        minimal = by_key.get(("minimal app", workers))
        if app != "gateway" or minimal is None:
            continue
        rows.append(
            [
                f"{workers} worker{'s' if workers > 1 else ''}",
                _f(ratio(gateway.saturation.per_second, minimal.saturation.per_second), 2),
                _f(ratio(gateway.saturation.cpu_ms_per_turn, minimal.saturation.cpu_ms_per_turn), 1),
                *(_f(ratio(gateway.loads[n].latency_ms(99), minimal.loads[n].latency_ms(99)), 1) for n in loads),
            ]
        )
    return format_table(headers, rows)


def cost_table(costs: Sequence[TurnCost]) -> str:
    return format_table(
        ["turn (one patient at a time)", "PG round trips", "PG statements", "Redis round trips", "Redis cmds"],
        [[c.kind, _f(c.round_trips), _f(c.statements), _f(c.redis_calls), _f(c.redis_commands)] for c in costs],
    )


def checks(configurations: Sequence[Configuration], costs: Sequence[TurnCost]) -> list[Check]:
    """Issue 19's targets against this run (the gateway's rows)."""
    by_key = {(c.app, c.workers): c for c in configurations}
    found: list[Check] = []
    one = by_key.get(("gateway", 1))
    if one is not None:
        found.append(ratio_check("CPU ms per template turn, 1 worker", one.saturation.cpu_ms_per_turn, at_most=5))
    templates = [c for c in costs if c.kind in {kind for kind, _ in TEMPLATE_SCRIPT}]
    if templates:
        worst = max(templates, key=lambda c: c.round_trips)
        found.append(ratio_check(f"PG round trips, worst template turn ({worst.kind})", worst.round_trips, at_most=6))
    for (app, workers), gateway in sorted(by_key.items()):
        minimal = by_key.get(("minimal app", workers))
        if app == "gateway" and minimal is not None:
            found.append(
                ratio_check(
                    f"sat. req/s per worker / minimal app's, {workers} worker(s)",
                    ratio(gateway.saturation.per_second, minimal.saturation.per_second),
                    at_least=TARGET_THROUGHPUT_RATIO,
                )
            )
    two = by_key.get(("gateway", 2))
    if two is not None and 200 in two.loads:
        p99 = two.loads[200].latency_ms(99)
        found.append(
            Check(
                "p99 ms at 200 patients, 2 workers",
                _f(p99, 0),
                f"< {TARGET_P99_MS_200:g}",
                None if math.isnan(p99) else p99 < TARGET_P99_MS_200,
            )
        )
    for c in configurations:
        if c.app == "minimal app":
            found.append(
                Check(
                    f"minimal app CPU ms/request, {c.workers} worker(s)",
                    _f(c.saturation.cpu_ms_per_turn, 2),
                    INFO,
                    None,
                )
            )
    return found


def _server_version(query: str) -> str:
    async def ask() -> str:
        conn = await asyncpg.connect(POSTGRES)
        try:
            return str(await conn.fetchval(query))
        finally:
            await conn.close()

    return asyncio.run(ask())


def machine_lines(redis: BenchRedis) -> list[str]:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    packages = ", ".join(f"{name} {version(name)}" for name in ("uvicorn", "fastapi", "asyncpg", "redis", "httpx"))
    return [
        f"CPU: {cpu_model()}, {cores} cores ({usable} usable); load average at the start: {load}",
        f"Python {platform.python_version()}; {packages}",
        f"{_server_version('SELECT version()').split(' on ')[0]} (the machine's, 127.0.0.1:5432); "
        f"Redis {redis.client.info('server')['redis_version']} (the run's own redis-server)",
    ]


def setup_lines(config: BenchConfig) -> list[str]:
    loads = " and ".join(str(n) for n in config.loads)
    return [
        "script per patient (a fresh phone each pass): " + "; ".join(f"{k} ({t!r})" for k, t in SCRIPT),
        f"saturation: {config.saturation_patients} patients in a closed loop without think time, template turns "
        f"only, the best of {config.saturation_windows} windows (noise on a shared machine only takes throughput "
        "away); CPU ms/turn is the uvicorn processes' CPU time (master and workers, /proc) over that window / turns",
        f"fixed loads: {loads} patients, think time {config.think:g} s (±50 %), the whole script",
        f"each server first runs the whole script for {config.warmup:g} s with 4 patients per worker; each window "
        f"is {config.seconds:g} s after {config.warmup:g} s of warm-up (at least one think time); "
        "Redis cmds/turn from INFO commandstats of the run's own redis-server (a script's own commands included)",
        "PG round trips (Sync and simple Query messages) and statements (Execute and Query) counted by a proxy that "
        f"reads the protocol, one patient at a time, the median of {config.accounting_passes} passes after one to warm "
        "up (the job queue's polling lands in some turns' windows); Redis round trips and commands (as sent: an "
        "EVALSHA is one) by a proxy likewise; each turn's statements and commands in the log directory",
        "inference: a stand-in gRPC server answering at once (bench/inference_stand_in.py); rate limits lifted; "
        "the gateway started as production does (python -m gateway.serve), traces sampled as production's default "
        "(OTEL_TRACES_SAMPLER_RATIO 0.1)",
        "minimal app (bench/minimal_app.py): the same uvicorn, /chat's body parsed, one SELECT and one INSERT, "
        "its owner's login (the gateway logs in as a runtime role)",
        "the load generator (one asyncio + httpx process) shares the cores with the servers",
    ]


def run_bench(config: BenchConfig, *, say: Callable[[str], None] = print) -> Report:
    log_dir = config.log_dir or Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    own_cpu = resource.getrusage(resource.RUSAGE_SELF)
    with (
        bench_database(POSTGRES) as database,
        bench_redis() as redis,
        stand_in_inference() as inference,
    ):
        run = Run(config, database, redis, inference, log_dir, say)
        machine = machine_lines(redis)
        configurations: list[Configuration] = []
        for workers in config.workers:
            for app in (GATEWAY, MINIMAL):
                say(f"{app}, {workers} worker(s)")
                configurations.append(run.configuration(app, workers))
        say("Postgres and Redis per turn, one patient at a time")
        costs = run.turn_costs(GATEWAY) + run.turn_costs(MINIMAL)
    used = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = used.ru_utime + used.ru_stime - own_cpu.ru_utime - own_cpu.ru_stime
    found = checks(configurations, costs)
    loaded = (
        [main_table(configurations, config.loads), ratio_table(configurations, config.loads)] if configurations else []
    )
    text = "\n\n".join(
        [
            *loaded,
            cost_table(costs),
            checks_table(found),
            f"{time.monotonic() - started:.0f} s in all; the bench process (load generator, stand-in model, proxy) "
            f"used {client_cpu:.0f} CPU s; server logs in {log_dir}",
        ]
    )
    if config.results_path is not None:
        previous = config.results_path.read_text(encoding="utf-8") if config.results_path.exists() else None
        markdown = results_markdown(
            title="Gateway benchmark: a turn's cost against the stack's ceiling",
            command="make bench-gateway",
            machine=machine,
            setup=setup_lines(config),
            output=text,
        )
        config.results_path.write_text(keep_notes(markdown, previous), encoding="utf-8")
    return Report(configurations, costs, found, text)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go (default bench/GATEWAY.md)")
    parser.add_argument(
        "--costs-only",
        action="store_true",
        help="only the one-patient accounting (round trips, statements, Redis calls per turn; each turn's "
        "statements in the log directory), in seconds, for working on a turn's queries; writes no results file",
    )
    args = parser.parse_args(argv)
    defaults = BenchConfig.from_env()
    if args.costs_only:
        config = BenchConfig(**{**defaults.__dict__, "workers": (), "results_path": None})
    else:
        config = BenchConfig(**{**defaults.__dict__, "results_path": args.out})
    report = run_bench(config)
    print()
    print(report.text)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
