"""`make run`: every part of the assistant on one machine, on embedded defaults.

Uses DATABASE_URL / REDIS_URL when set, otherwise starts embedded real servers
under .data/. Migrates, seeds the demo clinic (with an appointment inside the
reminder horizon), makes sure a demo API key, the demo console users (a receptionist
and a doctor, devstack/console_users.py) and the offline model exist, then
starts the inference server, the gateway and the notification service and prints
how to talk to them. Reminders go to a local WhatsApp outbox that prints them.
Ctrl-C stops everything it started.

Migrations and the seed run as the owner of the tables: MIGRATION_DATABASE_URL when set (DATABASE_URL's
user then becomes the gateway's runtime login), else DATABASE_URL itself; on the embedded server the
owner is `postgres` and the gateway logs in as `clinic_app`, a member of clinic_runtime.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from appointments.demo import DemoReminder, seed_demo_clinic, seed_demo_reminder
from devstack import console_users
from devstack.embedded import embedded_postgres, embedded_redis, with_database
from devstack.sms_outbox import sms_outbox
from devstack.whatsapp_outbox import whatsapp_outbox
from gateway import db
from gateway.cli import DEMO_KEY_FILE
from gateway.security import api_keys
from notifications.template import CANCELLATION_TEXT, OFFER_TEXT, REMINDER_TEXT, STAFF_REPLY_TEXT

DATA_DIR = Path(".data")
DEFAULT_MODEL = "models/dialogpt-clinic-es"
# The gateway's login on the embedded server, a member of clinic_runtime (0011_runtime_role.sql).
EMBEDDED_RUNTIME_USER = "clinic_app"
READY_LINE = "INFERENCE_READY"


@dataclass(frozen=True)
class StackConfig:
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    inference_port: int = 50051
    notifications_port: int = 9102
    model_name: str = DEFAULT_MODEL
    startup_timeout_seconds: float = 600.0

    @classmethod
    def from_env(cls) -> StackConfig:
        return cls(
            gateway_host=os.environ.get("GATEWAY_HOST", cls.gateway_host),
            gateway_port=int(os.environ.get("GATEWAY_PORT", cls.gateway_port)),
            inference_port=int(os.environ.get("INFERENCE_PORT", cls.inference_port)),
            notifications_port=int(os.environ.get("NOTIFICATIONS_PORT", cls.notifications_port)),
            model_name=os.environ.get("MODEL_NAME", cls.model_name),
        )

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def notifications_url(self) -> str:
        return f"http://127.0.0.1:{self.notifications_port}"


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


@dataclass(frozen=True)
class Reminders:
    """Where the demo's reminder goes: the clinic's zone and the reminder horizon (the largest hours before)."""

    tz: ZoneInfo
    horizon: timedelta

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Reminders:
        # The notification service validates these fully when it starts; here only the horizon is needed.
        hours = [int(h) for h in env.get("REMINDER_HOURS_BEFORE", "24").split(",") if h.strip()]
        return cls(tz=ZoneInfo(env.get("CLINIC_TIMEZONE", "America/La_Paz")), horizon=timedelta(hours=max(hours)))


async def prepare_database(
    owner_url: str, runtime_url: str, saved_key: str | None, reminders: Reminders
) -> tuple[str, DemoReminder]:
    """Migrate, seed the demo clinic and its appointment to remind, and return a working demo API key
    (`saved_key` if still valid) and that appointment.

    All of it as the owner (`owner_url`); when `runtime_url` names another user, that user becomes the
    gateway's runtime login (a member of clinic_runtime), with the password the URL gives it.
    """
    conn = await asyncpg.connect(owner_url)
    try:
        applied = await db.migrate(conn)
        say(f"migrations applied: {applied}" if applied else "database schema is up to date")
        owner, _ = db.url_user(owner_url)
        user, password = db.url_user(runtime_url)
        if user is not None and user != owner:
            await db.ensure_runtime_login(conn, user=user, password=password)
            say(f"the gateway logs in as {user!r} (clinic_runtime); migrations and the seed run as {owner!r}")
        counts = await seed_demo_clinic(conn)
        say("demo clinic: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        demo = await seed_demo_reminder(conn, now=datetime.now(UTC), tz=reminders.tz, horizon=reminders.horizon)
        if saved_key and await api_keys.authenticate(conn, saved_key) is not None:
            return saved_key, demo
        issued = await api_keys.create_api_key(conn, name="demo (make run)", scopes={"chat"})
    finally:
        await conn.close()
    return issued.secret, demo


def demo_api_key(owner_url: str, runtime_url: str, reminders: Reminders) -> tuple[str, DemoReminder]:
    """The demo key saved by an earlier run when this database still accepts it, else a new one, saved; and the
    demo appointment whose reminder the notification service sends."""
    saved = DEMO_KEY_FILE.read_text().strip() if DEMO_KEY_FILE.exists() else None
    key, demo = asyncio.run(prepare_database(owner_url, runtime_url, saved, reminders))
    if key != saved:
        DEMO_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEMO_KEY_FILE.write_text(key + "\n")
        DEMO_KEY_FILE.chmod(0o600)
    return key, demo


def describe_demo(demo: DemoReminder, tz: ZoneInfo) -> str:
    """What the newcomer should expect from the notification service."""
    if demo.appointment is None:
        return f"no demo reminder: {demo.why_not}"
    local = demo.appointment.starts_at.astimezone(tz)
    when = f"{local:%Y-%m-%d %H:%M} ({tz.key})"
    if demo.created:
        return (
            f"demo appointment to remind: {demo.appointment.doctor_name}, {when}; its reminder prints within a minute"
        )
    return f"demo appointment to remind: {demo.appointment.doctor_name}, {when} (its reminder goes once)"


async def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the embedded server if missing; return its URL."""
    conn = await asyncpg.connect(server_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


def otp_secret() -> str:
    """The key of the code HMACs, kept in .data so verified phones survive a restart."""
    path = DATA_DIR / "otp-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_model(model_name: str) -> None:
    """Build the offline checkpoint when the default model is asked for and missing."""
    if model_name != DEFAULT_MODEL or (Path(model_name) / "config.json").exists():
        return
    say(f"building the offline model into {model_name} (once, a minute or two)")
    subprocess.run([sys.executable, "-m", "tools.training.offline_model", "--output", model_name], check=True)


def _echo(stream: IO[str], prefix: str, ready: threading.Event) -> None:
    for line in stream:
        if line.startswith(READY_LINE):
            ready.set()
        sys.stdout.write(f"{prefix} {line}")
        sys.stdout.flush()


def start_inference(config: StackConfig, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m inference` and wait until it has loaded and warmed up the model."""
    process = subprocess.Popen(
        [sys.executable, "-m", "inference"],
        env={**env, "MODEL_NAME": config.model_name, "INFERENCE_PORT": str(config.inference_port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()
    assert process.stdout is not None
    threading.Thread(target=_echo, args=(process.stdout, "[inference]", ready), daemon=True).start()
    deadline = time.monotonic() + config.startup_timeout_seconds
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the inference server did not start; its output is above")
    return process


def start_gateway(config: StackConfig, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the gateway under uvicorn and wait until /health answers 200.

    One worker unless WEB_CONCURRENCY says more: this machine also runs the model, Postgres and Redis, and one
    worker keeps one process's logs and metrics to read."""
    serve = ["-m", "gateway.serve", "--no-access-log"]
    process = subprocess.Popen(
        [sys.executable, *serve, "--host", config.gateway_host, "--port", str(config.gateway_port)],
        env={**env, "INFERENCE_TARGET": f"127.0.0.1:{config.inference_port}"},
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the gateway exited during start-up; its output is above")
        try:
            if httpx.get(f"{config.gateway_url}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("the gateway did not become healthy within 60 s")


def start_notifications(config: StackConfig, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m notifications` and wait until its /health answers 200 (database and worker up)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "notifications"],
        env={**env, "NOTIFICATIONS_HOST": "127.0.0.1", "NOTIFICATIONS_PORT": str(config.notifications_port)},
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the notification service exited during start-up; its output is above")
        try:
            if httpx.get(f"{config.notifications_url}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("the notification service did not become healthy within 60 s")


def notifications_env(env: dict[str, str], services: ExitStack) -> dict[str, str]:
    """The notification service's environment: unless a sender is configured, the Graph API is the local
    WhatsApp outbox (any token will do there), and no quiet hours, so the demo reminder prints at any hour."""
    env = dict(env)
    if not env.get("NOTIFICATIONS_SENDER") and not env.get("WHATSAPP_GRAPH_BASE_URL"):
        bodies = {
            env.get("REMINDER_TEMPLATE_NAME", "recordatorio_cita"): REMINDER_TEXT,
            env.get("WAITLIST_TEMPLATE_NAME", "oferta_lista_espera"): OFFER_TEXT,
            env.get("STAFF_REPLY_TEMPLATE_NAME", "respuesta_equipo"): STAFF_REPLY_TEXT,
            env.get("STAFF_CANCELLATION_TEMPLATE_NAME", "cita_cancelada_clinica"): CANCELLATION_TEXT,
        }
        env["WHATSAPP_GRAPH_BASE_URL"] = services.enter_context(
            whatsapp_outbox(DATA_DIR.resolve() / "whatsapp-outbox.log", bodies)
        )
        env.setdefault("WHATSAPP_ACCESS_TOKEN", "devstack")
        env.setdefault("WHATSAPP_PHONE_NUMBER_ID", "100000000000001")
        say(f"reminders are printed here and kept in {DATA_DIR}/whatsapp-outbox.log")
    env.setdefault("QUIET_HOURS", "")
    env.setdefault("NOTIFICATIONS_TICK_SECONDS", "5")
    return env


def banner(config: StackConfig, api_key: str, logins: list[console_users.Login]) -> str:
    body = '{"messages":[{"role":"user","content":"Hola, buenos días"}],"user_id":"+59170000001"}'
    curl = (
        f"curl -s {config.gateway_url}/chat -H 'content-type: application/json' "
        f"-H {shlex.quote('X-API-Key: ' + api_key)} -d {shlex.quote(body)}"
    )
    return "\n".join(
        [
            "",
            "The clinic assistant is running.",
            f"  gateway:   {config.gateway_url}   (docs at {config.gateway_url}/docs)",
            f"  inference: 127.0.0.1:{config.inference_port} (gRPC), model {config.model_name}",
            f"  reminders: {config.notifications_url}/health   (python -m notifications)",
            f"  API key:   {api_key}   (saved in {DEMO_KEY_FILE})",
            *console_users.describe(logins, f"{config.gateway_url}/console/"),
            "",
            "Try it:",
            f"  {curl}",
            "  make chat                      # a terminal conversation as patient +59170000001",
            "",
            "Ctrl-C stops everything.",
            "",
        ]
    )


def run(config: StackConfig) -> int:
    env = dict(os.environ)
    with ExitStack() as services:
        # The owner runs migrations and the seed; the gateway logs in as a runtime role (docs/OPERATIONS.md).
        owner_url = env.pop("MIGRATION_DATABASE_URL", None)
        if not env.get("DATABASE_URL"):
            server_url = services.enter_context(embedded_postgres(DATA_DIR.resolve() / "pg"))
            owner_url = asyncio.run(ensure_database(server_url, "clinic"))
            env["DATABASE_URL"] = db.with_user(owner_url, EMBEDDED_RUNTIME_USER)  # trust authentication
            say(f"embedded PostgreSQL under {DATA_DIR}/pg")
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = services.enter_context(embedded_redis(DATA_DIR.resolve() / "redis" / "redis.db"))
            say(f"embedded Redis under {DATA_DIR}/redis")
        if not env.get("SMS_BASE_URL"):
            env["SMS_BASE_URL"] = services.enter_context(sms_outbox(DATA_DIR.resolve() / "sms-outbox.log"))
            say(f"SMS codes are printed here and kept in {DATA_DIR}/sms-outbox.log")
        env.setdefault("OTP_SECRET", otp_secret())
        # Embedded servers without passwords and a local SMS outbox: fine here, refused in production.
        env.setdefault("APP_ENV", "development")
        # The demo clinic's name, in SMS and on the console (the setting's default is a bare "Clínica").
        env.setdefault("CLINIC_NAME", "Clínica San Martín")
        # Bolivia's public numbers for the demo clinic: 168, the health ministry's single emergency number
        # (ambulances), and Familia Segura, a free line of emotional support that takes calls about suicide.
        env.setdefault("EMERGENCY_NUMBER", "168")
        env.setdefault("CRISIS_LINE", "800 113040")
        env.setdefault("CRISIS_LINE_NAME", "la línea gratuita Familia Segura")
        reminders = Reminders.from_env(env)
        api_key, demo = demo_api_key(owner_url or env["DATABASE_URL"], env["DATABASE_URL"], reminders)
        say(describe_demo(demo, reminders.tz))
        logins = console_users.prepare(owner_url or env["DATABASE_URL"])
        ensure_model(config.model_name)
        notifications = notifications_env(env, services)

        children: list[subprocess.Popen[str]] = []
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            children.append(start_inference(config, env))
            children.append(start_gateway(config, env))
            children.append(start_notifications(config, notifications))
            print(banner(config, api_key, logins), flush=True)
            while not stop.wait(0.5):
                if any(child.poll() is not None for child in children):
                    say("a service exited; stopping the rest")
                    return 1
        except KeyboardInterrupt:
            pass
        finally:
            for child in reversed(children):
                child.terminate()
            for child in reversed(children):
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
            say("stopped")
    return 0
