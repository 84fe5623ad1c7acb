"""Schemathesis against a real gateway process: no 5xx and no answer outside the OpenAPI schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from appointments.demo import seed_demo_clinic
from gateway.security.api_keys import create_api_key
from tests.gateway.verification.fake_sms import fake_sms_server
from tests.support.services import (
    InferenceProcess,
    clone_database,
    free_port,
    gateway_process,
    gateway_process_env,
)


@dataclass(frozen=True)
class Gateway:
    url: str
    admin_key: str


async def _seed(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await seed_demo_clinic(conn)
        return (await create_api_key(conn, name="fuzz", scopes={"admin"})).secret
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def gateway(
    postgres_server_url: str, template_database: str, redis_url: str, inference_server: InferenceProcess
) -> Iterator[Gateway]:
    """One gateway under uvicorn for the module, on a seeded database of its own, with an admin key."""
    with clone_database(postgres_server_url, template_database) as database_url, fake_sms_server() as sms:
        admin_key = asyncio.run(_seed(database_url))
        env = gateway_process_env(
            database_url,
            redis_url,
            inference_server.target,
            sms.url,
            REDIS_KEY_PREFIX=f"fuzz-{uuid.uuid4().hex}",
            RATE_LIMIT_USER_BURST="100000",
            RATE_LIMIT_KEY_BURST="100000",
            LOG_LEVEL="WARNING",
            # Configured, so the webhook is fuzzed past its 503; replies go to a closed port and are logged.
            WHATSAPP_VERIFY_TOKEN="fuzz-verify-token",
            WHATSAPP_APP_SECRET="fuzz-app-secret",
            WHATSAPP_ACCESS_TOKEN="fuzz-access-token",
            WHATSAPP_GRAPH_BASE_URL=f"http://127.0.0.1:{free_port()}",
        )
        with gateway_process(env) as url:
            yield Gateway(url, admin_key)


@pytest.fixture(scope="module")
def api_schema(gateway: Gateway) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")


def test_no_server_errors_and_answers_match_the_schema(api_schema: schemathesis.BaseSchema, gateway: Gateway) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/chat", "/health", "/ready", "/staff/appointments"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers={"X-API-Key": gateway.admin_key},
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        fuzz()
