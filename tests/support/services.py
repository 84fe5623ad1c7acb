"""Real services for tests: ports, the databases' runtime login, and the inference and gateway processes tests start."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import redis

from devstack.embedded import with_database
from devstack.processes import Child, start_until, stop_process, wait_until_healthy
from gateway import db

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"

LOCAL_REDIS = "redis://127.0.0.1:6379/0"

# The gateway under test logs in as this member of clinic_runtime, as in production; fixtures that
# arrange rows use the owner (the server URL's user). Fixed names: every run on a server shares them.
RUNTIME_USER = "clinic_test_runtime"

RUNTIME_PASSWORD = "clinic-test-runtime-login"

# How test subprocesses run a tiny model on a small shared CPU (see one_torch_thread).
TINY_MODEL_ENV = {"DEVICE": "cpu", "INFERENCE_TORCH_THREADS": "1", "INFERENCE_METRICS_PORT": "0"}


def postgres_answers(url: str) -> bool:
    async def probe() -> None:
        conn = await asyncpg.connect(url, timeout=2)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


async def run_as_owner(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def migrate_with_runtime_login(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn)
        await db.ensure_runtime_login(conn, user=RUNTIME_USER, password=RUNTIME_PASSWORD)
    finally:
        await conn.close()


def runtime_url(url: str) -> str:
    """`url` (a test database, as its owner) as the gateway's runtime login: what DATABASE_URL is in production."""
    return db.with_user(url, RUNTIME_USER, RUNTIME_PASSWORD)


@contextmanager
def clone_database(postgres_server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database cloned from the template, dropped afterwards."""
    name = f"clinic_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(run_as_owner(postgres_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    try:
        yield with_database(postgres_server_url, name)
    finally:
        asyncio.run(run_as_owner(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Ports this process has handed out: asked one at a time, the kernel may give the same free port twice, and two
# servers meant to be two (nginx's upstreams, say) would then be one.
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port that is free now and that this process has not handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@dataclass
class InferenceProcess:
    """`python -m inference` running in a child process."""

    child: Child
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.child.stop()


def start_inference_process(
    model: Path, *, timeout: float = 120, port: int = 0, env: dict[str, str] | None = None
) -> InferenceProcess:
    """Start the real inference server (on `port`, or one it picks); return once it reports ready."""
    child, ready = start_until(
        [sys.executable, "-m", "inference"],
        ready=r"^INFERENCE_READY port=(\d+)",
        env={**os.environ, **TINY_MODEL_ENV, "MODEL_NAME": str(model), "INFERENCE_PORT": str(port), **(env or {})},
        timeout=timeout,
    )
    return InferenceProcess(child=child, port=int(ready[1]))


def gateway_process_env(
    database_url: str, redis_url: str, inference_target: str, sms_url: str, **more: str
) -> dict[str, str]:
    """The environment a gateway process needs (development, the runtime login of `database_url`), and `more`."""
    return {
        "DATABASE_URL": runtime_url(database_url),
        "REDIS_URL": redis_url,
        "INFERENCE_TARGET": inference_target,
        "SMS_BASE_URL": sms_url,
        "OTP_SECRET": "test-otp-secret-of-at-least-16-bytes",
        "APP_ENV": "development",
        **more,
    }


@contextmanager
def gateway_process(env: dict[str, str], *, workers: int = 1, timeout: float = 60) -> Iterator[str]:
    """`uvicorn --factory gateway.app:create_app` as `make run` starts it; yields its URL once /health answers."""
    with gateway_subprocess(env, workers=workers, timeout=timeout) as (url, _):
        yield url


@contextmanager
def gateway_subprocess(
    env: dict[str, str], *, workers: int = 1, timeout: float = 60
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `gateway_process`, with the process too, for tests that kill it (one worker: one process to kill)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with serving_process(command, env, port=port, what="gateway", timeout=timeout) as started:
        yield started


@contextmanager
def serving_process(
    command: list[str], env: dict[str, str], *, port: int, what: str, timeout: float = 60
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`command` run with `env`, yielded with its URL once its /health on `port` answers 200; SIGTERM after."""
    process = subprocess.Popen(command, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        healthy = wait_until_healthy(url, process, deadline=time.monotonic() + timeout)
        assert healthy, f"{what} did not start"
        yield url, process
    finally:
        stop_process(process, timeout=20)
