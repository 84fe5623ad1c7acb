"""Connections lost at any step of a turn: never a 500, never a message stored twice.

Each test ends the gateway's real Postgres session (`pg_terminate_backend`, from the owner's connection) or its
Redis connections (`CLIENT KILL`) while a turn is at a known step, or kills a whole gateway process there. The
turn is held at that step by this test's own database, never by patching the gateway: a trigger installed in the
test's database waits on an advisory lock the test holds, a table the step reads is locked, or the model is still
writing. Each delivery then ends in 200, or in 503 with `Retry-After` and a retry that succeeds; either way the
patient's message is stored once and answered once.
"""

from __future__ import annotations

import asyncio
import collections
import signal
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.fake_inference import fake_inference_server
from tests.support.gateway import MakeClient
from tests.support.pg_proxy import PostgresProxy
from tests.support.services import InferenceProcess, gateway_process_env, gateway_subprocess, runtime_url

PATIENT = "+59170000001"
# Small talk the dialog leaves to the model (not a template, not a clinic question).
TO_THE_MODEL = "Ayer fui al cine con mi hermana y la película estuvo muy buena"
MODEL_REPLY = "Qué bueno que lo disfrutó. ¿Puedo ayudarle con algo de la clínica?"
PAUSE_LOCK = 4_242_001

_PAUSE_FUNCTION = f"""
CREATE FUNCTION test_pause() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Waits while the test holds the lock: the gateway's session stops here, mid-statement, mid-transaction.
    PERFORM pg_advisory_lock_shared({PAUSE_LOCK});
    PERFORM pg_advisory_unlock_shared({PAUSE_LOCK});
    RETURN NEW;
END
$$
"""
# Where a turn can be held, as triggers of this test's database.
STEPS = {
    "inbound store": "AFTER INSERT ON messages FOR EACH ROW WHEN (NEW.role = 'user')",
    "dialog transaction": "BEFORE UPDATE OF dialog_state ON conversations FOR EACH ROW",
    "reply store": "BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.role = 'assistant')",
    "idempotency completion": "BEFORE UPDATE ON chat_requests FOR EACH ROW WHEN (NEW.state = 'done')",
}


def chat_body(text: str, message_id: str | None = "wamid.lost-1") -> dict[str, Any]:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": text}], "user_id": PATIENT}
    if message_id is not None:
        body["message_id"] = message_id
    return body


async def stored_roles(conn: asyncpg.Connection) -> list[str]:
    return [row["role"] for row in await conn.fetch("SELECT role FROM messages ORDER BY id")]


async def install_pause(conn: asyncpg.Connection, step: str) -> None:
    await conn.execute(_PAUSE_FUNCTION)
    await conn.execute(f"CREATE TRIGGER test_pause {STEPS[step]} EXECUTE FUNCTION test_pause()")


@asynccontextmanager
async def paused(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """Sessions reaching the pause trigger wait inside it until the block ends."""
    await conn.execute("SELECT pg_advisory_lock($1)", PAUSE_LOCK)
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", PAUSE_LOCK)


async def waiting_session(conn: asyncpg.Connection) -> int:
    """The pid of the gateway session waiting on a lock this test holds (the pause, or a locked table)."""
    for _ in range(1000):
        pid: int | None = await conn.fetchval(
            """
            SELECT l.pid FROM pg_locks l
            WHERE NOT l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            LIMIT 1
            """
        )
        if pid is not None:
            return pid
        await asyncio.sleep(0.02)
    raise AssertionError("no gateway session reached the held step")


async def gateway_sessions(conn: asyncpg.Connection) -> list[int]:
    """The pids of the gateway's sessions: all of this database's but the test's own."""
    pids: list[int] = [
        row["pid"]
        for row in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ]
    assert pids, "the gateway has no session"
    return pids


async def terminate(conn: asyncpg.Connection, pid: int) -> None:
    assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)


async def answered(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """A delivery that may be refused with 503 and `Retry-After` once, and then answers; never a 500."""
    response = await client.post("/chat", json=body, headers=headers)
    if response.status_code == 503:
        assert "error" in response.json()
        await asyncio.sleep(float(response.headers["Retry-After"]))
        response = await client.post("/chat", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


class HeldModel:
    """A model that answers `text` once `release` is set; `called` is set when it is first asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.called = threading.Event()
        self.release = threading.Event()

    def __call__(self, turns: Sequence[tuple[str, str]]) -> str:
        self.called.set()
        assert self.release.wait(30), "the test never let the model answer"
        return self.text

    async def asked(self) -> None:
        assert await asyncio.to_thread(self.called.wait, 20), "the model was never asked"


def replying(text: str) -> Any:
    return lambda turns: text


@pytest.mark.parametrize("step", list(STEPS))
async def test_a_session_terminated_at_each_step_of_a_turn_is_replaced(
    step: str, make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    await install_pause(conn, step)
    headers = {"X-API-Key": api_key}
    with fake_inference_server(replying(MODEL_REPLY)) as model:
        client = await make_client(INFERENCE_TARGET=model.target)
        async with paused(conn):
            delivery = asyncio.create_task(client.post("/chat", json=chat_body(TO_THE_MODEL), headers=headers))
            await terminate(conn, await waiting_session(conn))
        first = await delivery
        if first.status_code != 200:
            assert first.status_code == 503, first.text
            assert first.headers["Retry-After"]
        final = await answered(client, chat_body(TO_THE_MODEL), headers)

    assert await stored_roles(conn) == ["user", "assistant"]
    assert final.json()["response"] == MODEL_REPLY
    assert await conn.fetchval("SELECT state FROM chat_requests") == "done"


async def test_a_session_terminated_during_the_key_lookup_is_replaced(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    client = await make_client()
    headers = {"X-API-Key": api_key}
    async with conn.transaction():
        await conn.execute("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        delivery = asyncio.create_task(client.post("/chat", json=chat_body("Hola"), headers=headers))
        await terminate(conn, await waiting_session(conn))
    first = await delivery
    assert first.status_code in (200, 503), first.text
    await answered(client, chat_body("Hola"), headers)

    assert await stored_roles(conn) == ["user", "assistant"]


@pytest.mark.parametrize("message_id", ["wamid.lost-2", None])
async def test_a_session_terminated_while_the_model_writes_is_replaced(
    message_id: str | None, make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """The turn holds no connection while the model writes; every pooled one dies then, idle, with asyncpg not
    yet aware of it; the reply is stored on a new one."""
    headers = {"X-API-Key": api_key}
    held = HeldModel(MODEL_REPLY)
    with fake_inference_server(held) as model:
        client = await make_client(INFERENCE_TARGET=model.target)
        delivery = asyncio.create_task(client.post("/chat", json=chat_body(TO_THE_MODEL, message_id), headers=headers))
        await held.asked()
        for pid in await gateway_sessions(conn):
            await terminate(conn, pid)
        held.release.set()
        response = await delivery
        assert response.status_code in (200, 503), response.text
        if response.status_code == 503:
            assert response.headers["Retry-After"]
            if message_id is not None:
                response = await answered(client, chat_body(TO_THE_MODEL, message_id), headers)

    assert await stored_roles(conn) == ["user", "assistant"]
    assert response.json()["response"] == MODEL_REPLY


async def test_sessions_terminated_again_and_again_under_load_cost_no_500_and_store_nothing_twice(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """Every session of the database terminated eight times while 20 patients talk (the fault run's Postgres
    fault, repeated): deliveries end in 200, or 503 with Retry-After and then 200; each message is stored once."""
    client = await make_client(DB_POOL_MIN_SIZE=10)
    headers = {"X-API-Key": api_key}
    statuses: collections.Counter[int] = collections.Counter()

    async def patient(n: int) -> None:
        for m in range(3):
            body = {**chat_body("Hola", f"wamid.storm-{n}-{m}"), "user_id": f"+591700002{n:02d}"}
            for _ in range(20):
                response = await client.post("/chat", json=body, headers=headers)
                statuses[response.status_code] += 1
                if response.status_code != 503:
                    break
                await asyncio.sleep(float(response.headers["Retry-After"]))

    async def storm() -> None:
        for _ in range(8):
            await asyncio.sleep(0.25)
            await conn.execute(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                """
            )

    await asyncio.gather(storm(), *(patient(n) for n in range(20)))

    assert set(statuses) <= {200, 503}, statuses
    assert await conn.fetchval("SELECT count(*) FROM messages WHERE role = 'user'") == 60
    assert await conn.fetchval("SELECT count(DISTINCT inbound_key) FROM messages WHERE role = 'user'") == 60
    assert await conn.fetchval("SELECT count(*) FROM messages WHERE role = 'assistant'") == 60


async def test_redis_connections_killed_mid_turn_cost_no_request(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection, redis_url: str
) -> None:
    headers = {"X-API-Key": api_key}
    held = HeldModel(MODEL_REPLY)
    with fake_inference_server(held) as model:
        prefix = f"test-{uuid.uuid4().hex}"
        client = await make_client(INFERENCE_TARGET=model.target, REDIS_KEY_PREFIX=prefix)
        delivery = asyncio.create_task(client.post("/chat", json=chat_body(TO_THE_MODEL), headers=headers))
        await held.asked()
        assert await kill_gateway_redis_connections(redis_url, f"gateway:{prefix}") > 0
        held.release.set()
        response = await delivery
        if response.status_code == 503:
            response = await answered(client, chat_body(TO_THE_MODEL), headers)

    assert response.status_code == 200, response.text
    assert await stored_roles(conn) == ["user", "assistant"]


async def kill_gateway_redis_connections(redis_url: str, name: str) -> int:
    """CLIENT KILL every Redis connection of the gateway named `name` (and no other client's); how many."""
    admin = aioredis.Redis.from_url(redis_url)
    try:
        clients = await admin.client_list()
        killed = 0
        for client in clients:
            if client["name"] == name:
                killed += int(await admin.client_kill_filter(_id=client["id"]))
        return killed
    finally:
        await admin.aclose()


@pytest.mark.parametrize("step", ["dialog transaction", "idempotency completion"])
async def test_a_gateway_killed_mid_turn_leaves_a_retry_that_stores_nothing_twice(
    step: str,
    make_client: MakeClient,
    api_key: str,
    conn: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    inference_server: InferenceProcess,
    sms: FakeSmsServer,
) -> None:
    """SIGKILL after the message is stored (before the dialog commits, or after the reply is stored but before
    the idempotency record is completed); the retry reaches another copy and finds the stored message."""
    await install_pause(conn, step)
    deadline = 3
    env = gateway_process_env(
        database_url,
        redis_url,
        inference_server.target,
        sms.url,
        REQUEST_DEADLINE_SECONDS=str(deadline),
    )
    headers = {"X-API-Key": api_key}
    body = chat_body("Hola", "wamid.crash-1")
    with gateway_subprocess(env) as (url, gateway):
        async with httpx.AsyncClient(base_url=url, timeout=30) as direct, paused(conn):
            first = asyncio.create_task(direct.post("/chat", json=body, headers=headers))
            held = await waiting_session(conn)
            gateway.send_signal(signal.SIGKILL)
            with pytest.raises(httpx.TransportError):
                await first
            # Postgres would only notice the dead client on its next read; its statement must not run meanwhile.
            await terminate(conn, held)
    assert await conn.fetchval("SELECT state FROM chat_requests") == "processing"
    stored_before = await stored_roles(conn)

    other_copy = await make_client(REQUEST_DEADLINE_SECONDS=deadline)
    retried = await answered(other_copy, body, headers)

    assert stored_before == (["user"] if step == "dialog transaction" else ["user", "assistant"])
    assert await stored_roles(conn) == ["user", "assistant"]
    stored_reply = await conn.fetchval("SELECT content FROM messages WHERE role = 'assistant'")
    assert retried.json()["response"] == stored_reply
    assert await conn.fetchval("SELECT state FROM chat_requests") == "done"


@pytest.fixture
async def postgres_proxy(database_url: str) -> AsyncIterator[tuple[PostgresProxy, str]]:
    """A proxy in front of this test's server and the runtime URL through it. A fixture, so that it outlives
    the gateways `make_client` builds (requested after it): they are shut down while it still forwards."""
    server = urlsplit(database_url)
    async with PostgresProxy(server.hostname or "127.0.0.1", server.port or 5432) as proxy:
        runtime = urlsplit(runtime_url(database_url))
        credentials = runtime.netloc.rpartition("@")[0]
        yield proxy, urlunsplit(runtime._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}"))


async def test_a_session_asyncpg_sees_ended_before_its_socket_closes_is_replaced(
    postgres_proxy: tuple[PostgresProxy, str], make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """The measured 500: `InternalClientError: cannot switch to state 12`, from a connection that had read the
    server's goodbye but not yet its close. Ended that way while the model writes and again before the next key
    lookup, the turn and the lookup each take another connection."""
    proxy, proxied = postgres_proxy
    headers = {"X-API-Key": api_key}
    held = HeldModel(MODEL_REPLY)
    with fake_inference_server(held) as model:
        client = await make_client(INFERENCE_TARGET=model.target, DATABASE_URL=proxied, DB_POOL_MIN_SIZE=2)
        delivery = asyncio.create_task(client.post("/chat", json=chat_body(TO_THE_MODEL), headers=headers))
        await held.asked()
        assert await proxy.end_sessions() >= 1
        held.release.set()
        first = await delivery
        assert first.status_code == 200, first.text

        assert await proxy.end_sessions() >= 1
        second = await client.post("/chat", json=chat_body("Gracias", "wamid.lost-3"), headers=headers)
        assert second.status_code == 200, second.text

    assert await stored_roles(conn) == ["user", "assistant"] * 2


async def test_a_retry_that_finds_the_reply_stored_sends_that_same_answer(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """A first delivery that stored its reply and then lost its claim (released, or never completed): the retry
    is answered from the stored reply, options included, and the turn is not run again."""
    headers = {"X-API-Key": api_key}
    body = chat_body("¿hacen cirugía?", "wamid.replayed-1")
    first = await client.post("/chat", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["options"], "this question should offer a person"
    await conn.execute("DELETE FROM chat_requests")

    retried = await client.post("/chat", json=body, headers=headers)

    assert retried.status_code == 200, retried.text
    assert "Idempotent-Replayed" not in retried.headers  # answered from the stored messages, not the claim
    assert retried.json() == first.json()
    assert await stored_roles(conn) == ["user", "assistant"]
