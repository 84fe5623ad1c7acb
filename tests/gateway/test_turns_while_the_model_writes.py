"""A turn waiting on the model holds no pooled Postgres connection; a patient's messages still take turns.

Real gateways (in this process, each with its own pool) on real Postgres and Redis, and a real gRPC server whose
"model" sleeps before it answers, as a busy GPU does.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Sequence

import asyncpg
import httpx
import pytest

from gateway.conversation.turn_lease import TurnLeases
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support.fake_inference import fake_inference_server
from tests.support.gateway import MakeClient
from tests.support.services import gateway_process_env, gateway_subprocess

REPLY = "Qué bueno que lo disfrutó. ¿Puedo ayudarle con algo de la clínica?"
# Small talk the dialog leaves to the model (no template, no clinic question), different for each patient.
TO_THE_MODEL = "Ayer fui al cine con mi hermana y la película estuvo muy buena"
ALSO_TO_THE_MODEL = "Estoy leyendo una novela muy larga sobre piratas"


class SlowModel:
    """A model that takes `seconds` for every reply; `peak` is the most replies it was writing at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.peak = 0
        self._writing = 0
        self._lock = threading.Lock()

    def __call__(self, turns: Sequence[tuple[str, str]]) -> str:
        with self._lock:
            self._writing += 1
            self.peak = max(self.peak, self._writing)
        time.sleep(self.seconds)
        with self._lock:
            self._writing -= 1
        return REPLY


def body(text: str, phone: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], "user_id": phone}


async def test_patients_waiting_on_the_model_do_not_queue_behind_the_connection_pool(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """20 patients' small talk at once, a pool of 2 connections, a model that takes 2 s per reply.

    A turn that kept its connection while the model writes lets only 2 turns wait on the model at once: 10 rounds
    of 2 s, 20 s at the very least on any machine. So the model writing more than 2 replies at once, and all 20
    answered in under 12 s (about 2 s is expected; the rest is slack for a loaded machine), are not timings: they
    prove that waiting turns hold no connection.
    """
    patients = 20
    model = SlowModel(2.0)
    with fake_inference_server(model, workers=patients) as server:
        client = await make_client(
            INFERENCE_TARGET=server.target,
            DB_POOL_MAX_SIZE=2,
            # Each reply must come from the model, not the cache a first reply would fill.
            REPLY_CACHE_TTL_SECONDS=0,
            # Room to measure a gateway that queues (about 20 s), rather than a 503 at the default deadline.
            REQUEST_DEADLINE_SECONDS=60,
            INFERENCE_TIMEOUT_SECONDS=60,
        )
        headers = {"X-API-Key": api_key}
        started = time.monotonic()
        answers = await asyncio.gather(
            *(
                client.post("/chat", json=body(f"{TO_THE_MODEL} ({n})", f"+5917100{n:04d}"), headers=headers)
                for n in range(patients)
            )
        )
        took = time.monotonic() - started

    assert [a.status_code for a in answers] == [200] * patients, [a.text for a in answers if a.status_code != 200]
    assert {a.json()["response"] for a in answers} == {REPLY}
    assert len(server.requests) == patients
    assert model.peak > 2, f"the model wrote at most {model.peak} replies at once"
    assert took < 12, f"20 patients took {took:.1f} s"
    assert await conn.fetchval("SELECT count(*) FROM messages WHERE role = 'assistant'") == patients
    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 0  # each turn gave its lease back


async def test_two_messages_at_once_on_two_copies_take_turns_while_the_model_writes(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """The second message waits until the first one's reply is stored: it is stored after it, and the model
    writing the second reply is shown the first exchange."""
    phone = "+59170000001"
    model = SlowModel(1.5)
    with fake_inference_server(model) as server:
        first = await make_client(INFERENCE_TARGET=server.target, REPLY_CACHE_TTL_SECONDS=0)
        second = await make_client(INFERENCE_TARGET=server.target, REPLY_CACHE_TTL_SECONDS=0)
        headers = {"X-API-Key": api_key}
        answers = await asyncio.gather(
            first.post("/chat", json=body(TO_THE_MODEL, phone), headers=headers),
            second.post("/chat", json=body(ALSO_TO_THE_MODEL, phone), headers=headers),
        )

    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    rows = await conn.fetch("SELECT id, role, content, reply_to FROM messages ORDER BY id")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert [rows[1]["reply_to"], rows[3]["reply_to"]] == [rows[0]["id"], rows[2]["id"]]
    earlier, later = rows[0]["content"], rows[2]["content"]
    assert {earlier, later} == {TO_THE_MODEL, ALSO_TO_THE_MODEL}
    assert server.requests == [
        [("user", earlier)],
        [("user", earlier), ("assistant", REPLY), ("user", later)],
    ]
    assert model.peak == 1


async def test_a_turn_left_by_a_copy_that_died_holds_the_patient_only_until_its_lease_expires(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """A copy killed mid-turn gives nothing back: the patient's next message waits, is refused with 503 and
    Retry-After at its deadline, and is answered once the lease has expired."""
    phone = "+59170000001"
    await conn.execute(
        "INSERT INTO turn_leases (key, holder, expires_at) VALUES ($1, gen_random_uuid(), now() + interval '3 s')",
        TurnLeases.key(phone),
    )
    client = await make_client(REQUEST_DEADLINE_SECONDS=1)
    headers = {"X-API-Key": api_key}

    refused = await client.post("/chat", json=body("Hola", phone), headers=headers)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "patient_busy"
    assert await conn.fetchval("SELECT count(*) FROM messages") == 0
    answered: httpx.Response | None = None
    for _ in range(10):  # each try waits up to its 1 s deadline; the lease is gone after 3 s
        await asyncio.sleep(float(refused.headers["Retry-After"]))
        answered = await client.post("/chat", json=body("Hola", phone), headers=headers)
        if answered.status_code == 200:
            break
    assert answered is not None and answered.status_code == 200, answered and answered.text
    roles = [r["role"] for r in await conn.fetch("SELECT role FROM messages ORDER BY id")]
    assert roles == ["user", "assistant"]


class FirstReplyHeld:
    """A model whose first reply waits until `release` is set (the copy asking is killed meanwhile); later ones
    come at once."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()

    def __call__(self, turns: Sequence[tuple[str, str]]) -> str:
        if not self.asked.is_set():
            self.asked.set()
            assert self.release.wait(60), "the test never let the first reply go"
        return REPLY


async def test_a_lease_left_by_a_copy_killed_mid_turn_is_taken_over_within_a_few_seconds(
    make_client: MakeClient,
    api_key: str,
    conn: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    sms: FakeSmsServer,
) -> None:
    """A copy SIGKILLed while its model writes gives its lease nothing back: the lease, renewed only while a turn
    runs, frees the phone within TURN_LEASE_SECONDS, so the retry on another copy is answered within its own short
    deadline (a lease lasting the dead turn's 60 s deadline would get it 503 `patient_busy`), and nothing is stored
    twice."""
    phone = "+59170000001"
    body_with_id = {**body(TO_THE_MODEL, phone), "message_id": "wamid.killed-mid-turn"}
    headers = {"X-API-Key": api_key}
    model = FirstReplyHeld()
    with fake_inference_server(model, workers=2) as server:
        env = gateway_process_env(
            database_url,
            redis_url,
            server.target,
            sms.url,
            REPLY_CACHE_TTL_SECONDS="0",
            REQUEST_DEADLINE_SECONDS="60",
            INFERENCE_TIMEOUT_SECONDS="60",
        )
        with gateway_subprocess(env) as (url, gateway):
            async with httpx.AsyncClient(base_url=url, timeout=90) as direct:
                first = asyncio.create_task(direct.post("/chat", json=body_with_id, headers=headers))
                assert await asyncio.to_thread(model.asked.wait, 30), "the killed copy never asked the model"
                # Renewed while the turn runs, never more than a lease ahead (3 s by default).
                renewed = []
                for _ in range(2):
                    await asyncio.sleep(1.2)
                    renewed.append(await conn.fetchval("SELECT expires_at - now() FROM turn_leases"))
                assert all(0 < left.total_seconds() <= 3 for left in renewed), renewed
                gateway.send_signal(signal.SIGKILL)
                with pytest.raises(httpx.TransportError):
                    await first
        killed_at = time.monotonic()
        model.release.set()

        # The claim on the message id is stale after the other copy's deadline and 2 s; the lease is gone by then.
        other_copy = await make_client(
            INFERENCE_TARGET=server.target, REPLY_CACHE_TTL_SECONDS=0, REQUEST_DEADLINE_SECONDS=3
        )
        retried = await other_copy.post("/chat", json=body_with_id, headers=headers)
        took = time.monotonic() - killed_at

    assert retried.status_code == 200, retried.text
    assert retried.json()["response"] == REPLY
    assert took < 15, f"the retry was answered {took:.1f} s after the kill"
    rows = await conn.fetch("SELECT role, content FROM messages ORDER BY id")
    assert [(r["role"], r["content"]) for r in rows] == [("user", TO_THE_MODEL), ("assistant", REPLY)]
    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 0


async def test_a_turn_that_finds_its_lease_taken_is_interrupted_and_its_retry_stores_nothing_twice(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection
) -> None:
    """While the model writes, the lease passes to another holder (as after a lease ran out): the turn's next
    renewal finds it gone, and the turn stops there, before it stores a reply, with 503 `turn_interrupted`. Its
    retry with the same id carries on from the stored message once the other holder's lease has run out."""
    phone = "+59170000001"
    body_with_id = {**body(TO_THE_MODEL, phone), "message_id": "wamid.interrupted"}
    headers = {"X-API-Key": api_key}
    model = FirstReplyHeld()
    with fake_inference_server(model, workers=2) as server:
        client = await make_client(INFERENCE_TARGET=server.target, REPLY_CACHE_TTL_SECONDS=0)
        first = asyncio.create_task(client.post("/chat", json=body_with_id, headers=headers))
        assert await asyncio.to_thread(model.asked.wait, 30), "the model was never asked"
        assert await conn.execute("UPDATE turn_leases SET holder = gen_random_uuid()") == "UPDATE 1"
        interrupted = await first
        model.release.set()
        assert await conn.fetchval("SELECT count(*) FROM messages WHERE role = 'assistant'") == 0

        retried = await client.post("/chat", json=body_with_id, headers=headers)

    assert interrupted.status_code == 503, interrupted.text
    assert interrupted.json()["error"]["code"] == "turn_interrupted"
    assert "Retry-After" in interrupted.headers
    assert retried.status_code == 200, retried.text
    rows = await conn.fetch("SELECT role, content FROM messages ORDER BY id")
    assert [(r["role"], r["content"]) for r in rows] == [("user", TO_THE_MODEL), ("assistant", REPLY)]
