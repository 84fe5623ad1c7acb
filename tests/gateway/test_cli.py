from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from gateway import db
from gateway.cli import chat
from gateway.security.api_keys import create_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.services import InferenceProcess, gateway_process, gateway_process_env


def cli(*args: str, database_url: str, owner_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m gateway.cli`; `owner_url` is MIGRATION_DATABASE_URL, unset when None."""
    env = {k: v for k, v in os.environ.items() if k != "MIGRATION_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env={**env, "DATABASE_URL": database_url, **({"MIGRATION_DATABASE_URL": owner_url} if owner_url else {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_keys_can_be_created_listed_and_revoked_without_a_restart(database_url: str) -> None:
    created = cli("keys", "create", "--name", "n8n-prod", "--scopes", "chat", database_url=database_url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    prefix = secret.split("_")[1]

    listed = cli("keys", "list", database_url=database_url)
    assert prefix in listed.stdout and "n8n-prod" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout

    assert cli("keys", "revoke", prefix, database_url=database_url).returncode == 0
    assert "revoked" in cli("keys", "list", database_url=database_url).stdout
    again = cli("keys", "revoke", prefix, database_url=database_url)
    assert again.returncode != 0 and "no active key" in again.stderr


def test_bad_scope_is_a_clear_error(database_url: str) -> None:
    result = cli("keys", "create", "--name", "x", "--scopes", "superuser", database_url=database_url)
    assert result.returncode != 0
    assert "scopes must be" in result.stderr


def test_migrate_and_seed_commands(empty_database_url: str) -> None:
    assert "applied migrations" in cli("migrate", database_url=empty_database_url).stdout
    assert "up to date" in cli("migrate", database_url=empty_database_url).stdout
    assert "demo clinic:" in cli("seed", database_url=empty_database_url).stdout


def test_operator_commands_run_as_the_owner_while_the_runtime_role_cannot_issue_keys(
    database_url: str, runtime_database_url: str
) -> None:
    created = cli("keys", "create", "--name", "n8n", database_url=runtime_database_url, owner_url=database_url)
    assert created.returncode == 0, created.stderr
    refused = cli("keys", "create", "--name", "n8n-2", database_url=runtime_database_url)
    assert refused.returncode != 0
    assert "MIGRATION_DATABASE_URL" in refused.stderr and "Traceback" not in refused.stderr


def test_migrate_makes_the_runtime_login_of_database_url_and_sets_its_new_password(empty_database_url: str) -> None:
    user = f"clinic_test_cli_{uuid.uuid4().hex[:8]}"
    runtime = db.with_user(empty_database_url, user, "first-Password-1")
    try:
        first = cli("migrate", "--runtime-login", database_url=runtime, owner_url=empty_database_url)
        assert first.returncode == 0, first.stderr
        assert "applied migrations" in first.stdout and f"runtime login '{user}' created" in first.stdout
        rotated = db.with_user(empty_database_url, user, "second-Password-2")
        second = cli("migrate", "--runtime-login", database_url=rotated, owner_url=empty_database_url)
        assert "up to date" in second.stdout and f"runtime login '{user}' updated" in second.stdout
        assert asyncio.run(_role_problems(rotated)) == []
        # One role for both: refused, the gateway would own audit_log.
        same = cli("migrate", "--runtime-login", database_url=empty_database_url, owner_url=empty_database_url)
        assert same.returncode != 0 and "give the gateway its own" in same.stderr
    finally:
        asyncio.run(_drop_role(empty_database_url, user))


async def _role_problems(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return await db.role_problems(conn)
    finally:
        await conn.close()


async def _drop_role(url: str, user: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP ROLE IF EXISTS "{user}"')
    finally:
        await conn.close()


@pytest.fixture
def running_gateway(
    database_url: str, redis_url: str, inference_server: InferenceProcess, sms: FakeSmsServer
) -> Iterator[str]:
    """The gateway under uvicorn, as `make run` starts it."""
    env = gateway_process_env(database_url, redis_url, inference_server.target, sms.url)
    with gateway_process(env) as url:
        yield url


async def test_terminal_chat_talks_to_a_running_gateway(running_gateway: str, database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        key = (await create_api_key(conn, name="cli", scopes={"chat"})).secret
        out = io.StringIO()
        code = chat(
            url=running_gateway,
            api_key=key,
            phone="+59170000001",
            stdin=io.StringIO("Hola\n\nquiero una cita\nsalir\n"),
            stdout=out,
        )

        assert code == 0
        replies = [line for line in out.getvalue().splitlines() if line.startswith("clínica> ")]
        assert len(replies) == 2 and all(len(r) > len("clínica> ") for r in replies)
        stored = await conn.fetch("SELECT role, content FROM messages ORDER BY id")
        assert [r["content"] for r in stored if r["role"] == "user"] == ["Hola", "quiero una cita"]
    finally:
        await conn.close()


def test_terminal_chat_shows_api_errors(running_gateway: str) -> None:
    out = io.StringIO()
    code = chat(url=running_gateway, api_key="wrong", phone="+59170000001", stdin=io.StringIO("Hola\n"), stdout=out)
    assert code == 0
    assert "[error 401" in out.getvalue()
