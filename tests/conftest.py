"""Real services for the whole suite.

PostgreSQL and Redis: the ones named by TEST_DATABASE_URL / TEST_REDIS_URL (or
DATABASE_URL / REDIS_URL), else the ones running on this machine's default
ports, else embedded real servers started for the session. Every test gets a
database of its own, cloned from a migrated template, so runs never see each
other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from devstack.embedded import embedded_postgres, embedded_redis, with_database
from gateway.tracing import install_provider
from tests.support.services import (
    LOCAL_POSTGRES,
    LOCAL_REDIS,
    InferenceProcess,
    clone_database,
    migrate_with_runtime_login,
    postgres_answers,
    redis_answers,
    run_as_owner,
    runtime_url,
    start_inference_process,
)


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL to a PostgreSQL server where tests may create databases."""
    configured = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        yield configured
    elif postgres_answers(LOCAL_POSTGRES):
        yield LOCAL_POSTGRES
    else:
        with embedded_postgres(tmp_path_factory.mktemp("postgres") / "data") as url:
            yield url


@pytest.fixture(scope="session")
def template_database(postgres_server_url: str) -> Iterator[str]:
    """A migrated database that each test's database is cloned from."""
    name = f"clinic_tpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(run_as_owner(postgres_server_url, f'CREATE DATABASE "{name}"'))
    asyncio.run(migrate_with_runtime_login(with_database(postgres_server_url, name)))
    yield name
    asyncio.run(run_as_owner(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(postgres_server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    with clone_database(postgres_server_url, template_database) as url:
        yield url


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to this test's database, for arranging and checking rows."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
def runtime_database_url(database_url: str) -> str:
    """This test's database as the gateway's runtime login (only the runtime grants of migrations)."""
    return runtime_url(database_url)


@pytest.fixture
def empty_database_url(postgres_server_url: str) -> Iterator[str]:
    """A database with no tables at all."""
    name = f"clinic_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(run_as_owner(postgres_server_url, f'CREATE DATABASE "{name}"'))
    yield with_database(postgres_server_url, name)
    asyncio.run(run_as_owner(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL to a real Redis server."""
    configured = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    with ExitStack() as stack:
        if configured:
            yield configured
        elif redis_answers(LOCAL_REDIS):
            yield LOCAL_REDIS
        else:
            yield stack.enter_context(embedded_redis(tmp_path_factory.mktemp("redis") / "redis.db"))


@pytest.fixture(scope="session", autouse=True)
def every_trace_recorded() -> None:
    """The process's tracer provider records every trace, whichever gateway a test builds first (a production
    one would sample 1 in 10): tests that read spans need them all. Sampling itself: tests/gateway/test_tracing.py."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        install_provider(service_name="clinic-gateway", exporter="none", sampler_ratio=1.0)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models on a small, shared CPU: one intra-op thread is many times faster than OpenMP's
    default of one per core, which spins against every other busy process."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small DialoGPT-format checkpoint built from the shipped corpus (seconds, deterministic)."""
    from tools.training.offline_model import build_checkpoint

    return build_checkpoint(tmp_path_factory.mktemp("model") / "tiny", preset="tiny", seed=0)


@pytest.fixture(scope="session")
def inference_server(tiny_model: Path) -> Iterator[InferenceProcess]:
    """One real gRPC inference server for the session, serving the tiny model."""
    server = start_inference_process(tiny_model)
    yield server
    server.stop()
