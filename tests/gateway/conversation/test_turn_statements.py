"""A turn's first and last statements (repository.begin_turn, finish_turn) and the clinic kept between turns, on
real Postgres."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from appointments import repository as clinic_repository
from gateway.conversation import repository
from gateway.conversation.clinic_cache import ClinicCache
from gateway.conversation.repository import KeyRevoked, NewReply, TurnStart
from gateway.security.api_keys import create_api_key, revoke_api_key

PHONE = "+59170123456"
LEASE = ("lease-of-the-phone", uuid4(), 3.0)


async def begin(
    conn: asyncpg.Connection,
    key: str,
    *,
    api_key_id: int | None = None,
    text: str = "Hola",
    lease: tuple[str, UUID, float] = LEASE,
) -> TurnStart:
    start = await try_to_begin(conn, key, api_key_id=api_key_id, text=text, lease=lease)
    assert start is not None
    return start


async def try_to_begin(
    conn: asyncpg.Connection, key: str, *, api_key_id: int | None, text: str, lease: tuple[str, UUID, float]
) -> TurnStart | None:
    return await repository.begin_turn(
        conn,
        api_key_id=api_key_id,
        user_phone=PHONE,
        vouched_by="api_key:1",
        channel="api",
        idle_after=timedelta(hours=24),
        inbound_key=key,
        request_id="req-1",
        contents={"": text, "code": "[código]"},
        cleared_by=("schedule_appointment",),
        lease=lease,
    )


def reply_to(start: TurnStart, content: str = "¡Hola! ¿En qué le ayudo?") -> NewReply:
    return NewReply(start.inbound, PHONE, content, "none", "req-1", {"source": "template"}, {"options": []})


async def finish(
    conn: asyncpg.Connection, start: TurnStart, reply: NewReply | None, lease: tuple[str, object] | None = None
) -> bool:
    return await repository.finish_turn(
        conn,
        conversation_id=start.inbound.conversation_id,
        state_before=start.state,
        state={"step": "specialty"},
        reply=reply,
        lease=lease,  # type: ignore[arg-type]
    )


async def test_a_delivery_is_stored_once_and_its_stored_reply_found_by_the_next_delivery(
    conn: asyncpg.Connection,
) -> None:
    first = await begin(conn, "api:1:m-1")
    assert first.reply is None and first.state == "{}" and not first.awaiting_person
    again = await begin(conn, "api:1:m-1")
    assert again.inbound == first.inbound

    assert await finish(conn, first, reply_to(first))

    found = await begin(conn, "api:1:m-1")
    assert found.reply is not None
    assert (found.reply.content, found.reply.extras) == ("¡Hola! ¿En qué le ayudo?", {"options": []})
    assert json.loads(found.state) == {"step": "specialty"}
    assert await conn.fetchval("SELECT count(*) FROM messages") == 2


async def test_while_another_turn_holds_the_phone_nothing_is_done(conn: asyncpg.Connection) -> None:
    first = await begin(conn, "api:1:m-1")

    other_turn = (LEASE[0], uuid4(), 3.0)
    busy = await try_to_begin(conn, "api:1:m-2", api_key_id=None, text="¿sigue ahí?", lease=other_turn)

    assert busy is None
    assert await conn.fetchval("SELECT count(*) FROM messages") == 1
    # Once the lease ran out, the other turn takes it and goes on.
    await conn.execute("UPDATE turn_leases SET expires_at = now() - interval '1 second'")
    taken = await begin(conn, "api:1:m-2", lease=other_turn)
    assert taken.inbound.conversation_id == first.inbound.conversation_id
    assert await conn.fetchval("SELECT holder FROM turn_leases") == other_turn[1]


async def test_the_message_is_stored_as_the_step_it_answers_asks(conn: asyncpg.Connection) -> None:
    start = await begin(conn, "api:1:m-1")
    await repository.finish_turn(
        conn,
        conversation_id=start.inbound.conversation_id,
        state_before=start.state,
        state={"step": "code"},
        reply=None,
    )

    answer = await begin(conn, "api:1:m-2", text="mi código es 123456")

    assert answer.inbound.conversation_id == start.inbound.conversation_id
    stored = await conn.fetchval("SELECT content FROM messages WHERE id = $1", answer.inbound.id)
    assert stored == answer.inbound.content == "[código]"


async def test_a_key_revoked_since_its_caller_was_admitted_stores_nothing(conn: asyncpg.Connection) -> None:
    issued = await create_api_key(conn, name="n8n", scopes={"chat"})
    assert (await begin(conn, "api:1:m-1", api_key_id=issued.key.id)).inbound.id > 0

    await revoke_api_key(conn, prefix=issued.key.prefix)

    with pytest.raises(KeyRevoked):
        await begin(conn, "api:1:m-2", api_key_id=issued.key.id)
    assert await conn.fetchval("SELECT count(*) FROM messages") == 1


async def test_the_next_state_is_saved_only_over_the_one_the_turn_began_from(conn: asyncpg.Connection) -> None:
    start = await begin(conn, "api:1:m-1")
    lease = LEASE[:2]
    # Another turn of the phone (after this one's lease ran out) saved its state meanwhile.
    await conn.execute(
        'UPDATE conversations SET dialog_state = \'{"step": "confirm"}\' WHERE id = $1',
        start.inbound.conversation_id,
    )

    assert not await finish(conn, start, reply_to(start), lease)

    assert await conn.fetchval("SELECT count(*) FROM messages WHERE role = 'assistant'") == 0
    assert await conn.fetchval("SELECT dialog_state->>'step' FROM conversations") == "confirm"
    assert await conn.fetchval("SELECT count(*) FROM turn_leases") == 1


async def test_the_last_statement_gives_back_the_turns_lease_and_only_its_own(conn: asyncpg.Connection) -> None:
    start = await begin(conn, "api:1:m-1")
    mine, other = LEASE[:2], ("lease-other", uuid4())
    await conn.execute("INSERT INTO turn_leases (key, holder, expires_at) VALUES ($1, $2, now())", *other)

    assert await finish(conn, start, reply_to(start), mine)

    assert [row["key"] for row in await conn.fetch("SELECT key FROM turn_leases")] == ["lease-other"]


async def test_a_second_reply_to_one_message_is_refused(conn: asyncpg.Connection) -> None:
    start = await begin(conn, "api:1:m-1")
    assert await finish(conn, start, reply_to(start))
    again = await begin(conn, "api:1:m-1")

    with pytest.raises(asyncpg.UniqueViolationError):
        await finish(conn, again, reply_to(again, "otra vez"))


async def test_the_clinic_is_loaded_again_only_once_doctors_or_specialties_changed(conn: asyncpg.Connection) -> None:
    clinics = ClinicCache()
    version = (await begin(conn, "api:1:m-1")).clinic_version
    kept = await clinics.current(conn, version)
    assert await clinics.current(conn, version) is kept

    specialty = await clinic_repository.upsert_specialty(conn, code="derma", name="Dermatología")
    await clinic_repository.upsert_doctor(conn, full_name="Dra. Nueva Prueba", specialty_id=specialty)
    newer = (await begin(conn, "api:1:m-2")).clinic_version

    assert newer > version
    reloaded = await clinics.current(conn, newer)
    assert reloaded is not kept
    assert "Dra. Nueva Prueba" in [d.full_name for d in reloaded.doctors]
    assert reloaded.specialty_name("derma") == "Dermatología"


async def test_a_change_rolled_back_leaves_the_clinics_version_as_it_was(conn: asyncpg.Connection) -> None:
    before = await conn.fetchval("SELECT version FROM clinic_version")
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await clinic_repository.upsert_specialty(conn, code="derma", name="Dermatología")
            raise RuntimeError("the change fails")

    assert await conn.fetchval("SELECT version FROM clinic_version") == before
