"""OWASP API5:2023 Broken Function Level Authorization.

Attacks held here:
- whoever holds the gateway's DATABASE_URL (a leaked env, an SQL injection, a compromised copy) rewrites
  history: UPDATE, DELETE or TRUNCATE audit_log, or ALTER it / disable its append-only trigger first.
  The gateway logs in as a member of clinic_runtime, which may only INSERT and SELECT there.
- the same person issues themselves an admin API key, or widens a chat key to admin, in api_keys.
  The runtime role may only read api_keys; keys are the operator's function (gateway.cli, as the owner).
- a production gateway started as the owner (or a superuser) holds all of the above: it refuses to start.
- probing the staff API with no key, a guessed key, a revoked key or a chat key: each refusal (401, 403)
  leaves an audit row naming the key by its prefix only, so the probing is visible afterwards.
"""

from __future__ import annotations

import secrets
import uuid

import asyncpg
import pytest

from gateway import audit, db
from gateway.app import InsecureDatabaseRole, refuse_powerful_database_role
from gateway.security.api_keys import IssuedKey, create_api_key, revoke_api_key
from tests.support.gateway import MakeClient, gateway_settings

ATTACKS_ON_AUDIT_LOG = [
    "UPDATE audit_log SET outcome = 'success'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "ALTER TABLE audit_log DROP CONSTRAINT audit_log_outcome_check",
    "DROP TABLE audit_log",
    "CREATE TRIGGER t BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE sql AS 'SELECT NULL'",
]


def the_gateways_database_url(database_url: str) -> str:
    """DATABASE_URL exactly as the gateway under test is configured with it."""
    return gateway_settings(database_url, "redis://unused", "unused:1", "http://unused").database_url


async def test_the_gateways_database_role_cannot_change_or_erase_the_audit_log(database_url: str) -> None:
    gateway = await asyncpg.connect(the_gateways_database_url(database_url))
    owner = await asyncpg.connect(database_url)
    try:
        await audit.record(gateway, actor="patient:42", action="appointment.cancelled", outcome="success")
        before = await owner.fetch("SELECT * FROM audit_log ORDER BY id")
        assert len(before) == 1
        for attack in ATTACKS_ON_AUDIT_LOG:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await gateway.execute(attack)
        # Nor can it become the owner for a moment.
        owner_name = await owner.fetchval("SELECT current_user")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await gateway.execute(f'SET ROLE "{owner_name}"')
        assert await owner.fetch("SELECT * FROM audit_log ORDER BY id") == before
        assert await owner.fetchval("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_append_only'") == b"O"
        # What it may do, it still does: append and read.
        await audit.record(gateway, actor="patient:42", action="appointment.booked", outcome="success")
        assert await gateway.fetchval("SELECT count(*) FROM audit_log") == 2
    finally:
        await gateway.close()
        await owner.close()


async def test_the_gateways_database_role_cannot_issue_or_widen_api_keys(database_url: str) -> None:
    gateway = await asyncpg.connect(the_gateways_database_url(database_url))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await create_api_key(gateway, name="attacker", scopes={"admin"})
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await gateway.execute("UPDATE api_keys SET scopes = '{admin}', revoked_at = NULL")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await gateway.execute("DELETE FROM api_keys")
    finally:
        await gateway.close()
    owner = await asyncpg.connect(database_url)
    try:
        await create_api_key(owner, name="n8n", scopes={"chat"})  # the operator's tool still can
    finally:
        await owner.close()


@pytest.mark.parametrize("app_env", ["production", "development"])
async def test_a_gateway_connected_as_the_owner_refuses_to_start_in_production(database_url: str, app_env: str) -> None:
    settings = gateway_settings(database_url, "redis://unused", "unused:1", "http://unused", APP_ENV=app_env)
    owner_pool = await db.create_pool(database_url, min_size=1, max_size=1)
    runtime_pool = await db.create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        if app_env == "production":
            with pytest.raises(InsecureDatabaseRole, match="owns audit_log"):
                await refuse_powerful_database_role(settings, owner_pool)
        else:  # a warning only, as for the development database of `make run` with one role
            await refuse_powerful_database_role(settings, owner_pool)
        await refuse_powerful_database_role(settings, runtime_pool)
    finally:
        await owner_pool.close()
        await runtime_pool.close()


# --- refused /staff calls are on record -------------------------------------------------------------
# Added with the staff API's refusal audit: every 401 and 403 under /staff leaves a `staff.auth` row
# (outcome `denied`, target the route template), naming the key only by the prefix it presented.

STAFF_CANCEL = "/staff/appointments/{appointment_id}/cancel"


async def _refusals(conn: asyncpg.Connection) -> list[audit.AuditEntry]:
    return [e for e in await audit.recent(conn, action="staff.auth") if e.outcome == "denied"]


async def test_a_staff_call_without_a_key_is_refused_and_audited_as_anonymous(
    make_client: MakeClient, conn: asyncpg.Connection
) -> None:
    gateway = await make_client()
    answer = await gateway.post(f"/staff/appointments/{uuid.uuid4()}/cancel")

    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    [entry] = await _refusals(conn)
    assert entry.actor == "anonymous" and entry.target == f"route:{STAFF_CANCEL}"
    assert entry.detail["reason"] == "missing_key" and entry.detail["status"] == 401
    assert entry.detail["method"] == "POST"


async def test_a_guessed_or_revoked_key_is_audited_by_its_prefix_never_its_secret(
    make_client: MakeClient, conn: asyncpg.Connection
) -> None:
    gateway = await make_client()
    guessed_secret = secrets.token_urlsafe(32)
    guessed = f"ck_1a2b3c4d_{guessed_secret}"
    revoked = await create_api_key(conn, name="old reception", scopes={"staff"})
    await revoke_api_key(conn, prefix=revoked.key.prefix)
    garbage = "x" * 300

    for key in (guessed, revoked.secret, garbage):
        answer = await gateway.get("/staff/doctors", headers={"X-API-Key": key})
        assert answer.status_code == 401, answer.text

    entries = await _refusals(conn)
    assert sorted(e.actor for e in entries) == sorted(
        ["api_key:1a2b3c4d", f"api_key:{revoked.key.prefix}", "anonymous"]
    )
    assert {e.target for e in entries} == {"route:/staff/doctors"}
    assert {e.detail["reason"] for e in entries} == {"unauthorized"}
    stored = " ".join(str(row) for row in await conn.fetch("SELECT * FROM audit_log"))
    for secret_part in (guessed_secret, _random_part(revoked), garbage):
        assert secret_part not in stored


async def test_a_chat_key_on_a_staff_route_is_forbidden_and_audited(
    make_client: MakeClient, conn: asyncpg.Connection
) -> None:
    gateway = await make_client()
    chat = await create_api_key(conn, name="n8n", scopes={"chat"})

    answer = await gateway.get("/staff/appointments?date=2026-06-02", headers={"X-API-Key": chat.secret})

    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    [entry] = await _refusals(conn)
    assert entry.actor == f"api_key:{chat.key.prefix}" and entry.target == "route:/staff/appointments"
    assert entry.detail["reason"] == "forbidden" and entry.detail["key_id"] == chat.key.id
    assert _random_part(chat) not in str(entry)


def _random_part(issued: IssuedKey) -> str:
    """The secret of a `ck_<prefix>_<random>` key (the random part may itself hold "_")."""
    return issued.secret.removeprefix(f"ck_{issued.key.prefix}_")
