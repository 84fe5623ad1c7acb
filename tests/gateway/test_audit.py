from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from gateway import audit
from gateway.security.api_keys import create_api_key


async def count(conn: asyncpg.Connection) -> int:
    rows: int = await conn.fetchval("SELECT count(*) FROM audit_log")
    return rows


async def test_an_entry_keeps_actor_action_target_outcome_detail_and_time(conn: asyncpg.Connection) -> None:
    appointment_id = uuid.uuid4()
    await audit.record(
        conn,
        actor=audit.patient_actor(42),
        action="appointment.cancelled",
        outcome="success",
        target=audit.appointment_target(appointment_id),
        detail={"doctor_id": 3, "reason": "viaje", "late": False, "score": 0.5, "note": None},
    )
    [entry] = await audit.recent(conn)
    assert (entry.actor, entry.action, entry.outcome, entry.target) == (
        "patient:42",
        "appointment.cancelled",
        "success",
        f"appointment:{appointment_id}",
    )
    assert entry.detail == {"doctor_id": 3, "reason": "viaje", "late": False, "score": 0.5, "note": None}
    assert entry.occurred_at.tzinfo is not None
    assert abs((await conn.fetchval("SELECT now()")) - entry.occurred_at).total_seconds() < 60


async def test_actor_and_target_helpers_spell_who_and_what(conn: asyncpg.Connection) -> None:
    key = (await create_api_key(conn, name="recepción\nturno mañana", scopes={"staff"})).key
    assert audit.patient_actor(42) == "patient:42"
    assert audit.phone_actor("+59170123456") == "phone:+59170123456"
    assert audit.staff_actor(key) == f"staff:recepción turno mañana#{key.id}"
    some_id = uuid.UUID("3f0c0b8e-1a2b-4c3d-8e9f-0123456789ab")
    assert audit.appointment_target(some_id) == "appointment:3f0c0b8e-1a2b-4c3d-8e9f-0123456789ab"
    await audit.record(conn, actor=audit.staff_actor(key), action="staff.doctors.viewed", outcome="success")
    assert [e.actor for e in await audit.recent(conn)] == [audit.staff_actor(key)]


@pytest.mark.parametrize("phone", ["70123456", "+591 70123456", "+59170123456\n", "phone"])
def test_phone_actor_takes_only_e164(phone: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        audit.phone_actor(phone)


async def test_recent_is_newest_first_and_filters_by_actor_target_and_action(conn: asyncpg.Connection) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    maria, juan = audit.patient_actor(1), audit.patient_actor(2)
    first_target, second_target = audit.appointment_target(first), audit.appointment_target(second)
    await audit.record(conn, actor=maria, action="appointment.booked", outcome="success", target=first_target)
    await audit.record(conn, actor=maria, action="verification.code_checked", outcome="failure")
    await audit.record(conn, actor=juan, action="appointment.booked", outcome="success", target=second_target)
    await audit.record(conn, actor=maria, action="appointment.cancelled", outcome="success", target=first_target)

    assert [e.action for e in await audit.recent(conn, actor=maria)] == [
        "appointment.cancelled",
        "verification.code_checked",
        "appointment.booked",
    ]
    assert [(e.actor, e.action) for e in await audit.recent(conn, target=first_target)] == [
        (maria, "appointment.cancelled"),
        (maria, "appointment.booked"),
    ]
    assert [e.actor for e in await audit.recent(conn, action="appointment.booked")] == [juan, maria]
    assert [e.actor for e in await audit.recent(conn, actor=juan, action="appointment.cancelled")] == []
    assert len(await audit.recent(conn, limit=2)) == 2
    with pytest.raises(ValueError, match="limit"):
        await audit.recent(conn, limit=0)


async def test_an_entry_recorded_in_a_rolled_back_transaction_is_gone_with_it(conn: asyncpg.Connection) -> None:
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await audit.record(conn, actor=audit.patient_actor(1), action="appointment.booked", outcome="success")
            raise RuntimeError("the booking failed after all")
    assert await count(conn) == 0


@pytest.mark.parametrize(
    "key",
    ["code", "otp", "text", "message", "content", "body", "otp_code", "message_text", "sms_body", "last4", "token"],
)
async def test_detail_keys_that_could_carry_a_secret_or_message_text_are_refused(
    conn: asyncpg.Connection, key: str
) -> None:
    with pytest.raises(ValueError, match="secret or message text"):
        await audit.record(
            conn,
            actor=audit.phone_actor("+59170123456"),
            action="verification.code_checked",
            outcome="failure",
            detail={key: "123456"},
        )
    assert await count(conn) == 0


@pytest.mark.parametrize(
    "detail",
    [
        {"reason": "x" * 201},
        {"Reason": "camelCase keys could hide a word"},
        {"reason": ["a", "list"]},
        {"reason": {"nested": "object"}},
        {"score": float("nan")},
        {f"k{i}": i for i in range(21)},
    ],
)
async def test_long_strings_odd_keys_and_nested_values_are_refused(
    conn: asyncpg.Connection, detail: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="audit detail"):
        await audit.record(
            conn, actor=audit.patient_actor(1), action="appointment.booked", outcome="success", detail=detail
        )
    assert await count(conn) == 0


async def test_a_string_of_exactly_the_limit_is_kept(conn: asyncpg.Connection) -> None:
    reason = "x" * audit.MAX_DETAIL_STRING
    await audit.record(
        conn, actor=audit.patient_actor(1), action="appointment.booked", outcome="failure", detail={"reason": reason}
    )
    assert (await audit.recent(conn))[0].detail == {"reason": reason}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"actor": "42"}, "actor"),
        ({"actor": "patient:"}, "actor"),
        ({"actor": "patient:1\n"}, "actor"),
        ({"action": "cancelled"}, "action"),
        ({"action": "Appointment.Cancelled"}, "action"),
        ({"outcome": "ok"}, "outcome"),
        ({"target": "3f0c0b8e"}, "target"),
    ],
)
async def test_malformed_actor_action_outcome_or_target_is_refused(
    conn: asyncpg.Connection, fields: dict[str, str], problem: str
) -> None:
    entry = {"actor": "patient:1", "action": "appointment.booked", "outcome": "success", **fields}
    with pytest.raises(ValueError, match=problem):
        await audit.record(conn, **entry)
    assert await count(conn) == 0


async def test_the_table_itself_refuses_an_unknown_outcome(conn: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO audit_log (actor, action, outcome) VALUES ('patient:1', 'appointment.booked', 'ok')"
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET outcome = 'failure'",
        "UPDATE audit_log SET detail = '{}' WHERE false",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = -1",
        "TRUNCATE audit_log",
    ],
)
async def test_audit_log_is_append_only_update_delete_and_truncate_fail(
    conn: asyncpg.Connection, statement: str
) -> None:
    await audit.record(conn, actor=audit.patient_actor(1), action="appointment.booked", outcome="success")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute(statement)
    [entry] = await audit.recent(conn)
    assert entry.outcome == "success"
