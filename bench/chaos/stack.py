"""The drill's stack: each part started, killed, restarted and stopped for real.

PostgreSQL and Redis are the drill's own servers (`services`), the gateway copies and the inference server run as
`make run` runs them (`processes`), Meta and the SMS provider are the tests' fakes with a tripwire (`fakes`), and
nginx runs the production files of deploy/nginx, rendered by the deploy tests' harness.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg

from appointments import demo
from appointments.repository import upsert_patient
from bench.chaos.fakes import DrillGraph, Tripwire, drill_graph, drill_sms
from bench.chaos.processes import REPO, GatewayCopy, InferenceServer
from bench.chaos.services import DrillPostgres, DrillRedis
from devstack.embedded import with_database
from gateway import db
from gateway.security.api_keys import create_api_key
from tests.deploy.harness import RenderedNginx, nginx_binary, render_nginx, running_nginx
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.services import free_port

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
        graph = stack.enter_context(drill_graph(APP_SECRET))
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
