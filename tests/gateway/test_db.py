from __future__ import annotations

import asyncio
import base64
import re
import uuid
from pathlib import Path

import asyncpg
import pytest

from gateway import db

EXPECTED_TABLES = {
    "schema_migrations",
    "conversations",
    "messages",
    "api_keys",
    "specialties",
    "doctors",
    "patients",
    "doctor_schedules",
    "schedule_overrides",
    "appointments",
    "audit_log",
    "whatsapp_inbound",
    "chat_requests",
    "clinic_info",
    "whatsapp_outbound",
    "turn_leases",
    "reminders",
    "waitlist_entries",
    "waitlist_offers",
    "moved_from_slots",
    "staff_users",
    "staff_sessions",
    "staff_messages",
    "handovers",
    "clinic_info_revisions",
    "clinic_version",
    # procrastinate's job queue (0016)
    "procrastinate_jobs",
    "procrastinate_workers",
    "procrastinate_periodic_defers",
    "procrastinate_events",
}


async def tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


async def test_migrations_apply_to_an_empty_database_and_are_idempotent(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        first = await db.migrate(conn)
        second = await db.migrate(conn)
        assert first == [m.version for m in db.load_migrations()]
        assert second == []
        assert await tables(conn) == EXPECTED_TABLES
    finally:
        await conn.close()


async def test_concurrent_migrations_apply_each_version_once(empty_database_url: str) -> None:
    conns = [await asyncpg.connect(empty_database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(db.migrate(c) for c in conns))
        applied = sorted(v for result in results for v in result)
        assert applied == [m.version for m in db.load_migrations()]
    finally:
        for c in conns:
            await c.close()


async def test_a_migration_edited_after_it_ran_is_refused(empty_database_url: str) -> None:
    migrations = db.load_migrations()
    last = migrations[-1]
    edited = [*migrations[:-1], db.Migration(last.version, last.name, last.sql + "\n-- edited")]
    conn = await asyncpg.connect(empty_database_url)
    try:
        await db.migrate(conn, migrations)
        with pytest.raises(db.MigrationError, match="edited after it was applied"):
            await db.migrate(conn, edited)
    finally:
        await conn.close()


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(db.MigrationError, match="without gaps"):
        db.load_migrations(tmp_path)


async def test_messages_refuse_phone_numbers_that_are_not_e164(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO conversations (user_phone) VALUES ('70123456')")
    finally:
        await conn.close()


# What the gateway's runtime role may do to each table (0011_runtime_role.sql). A migration that adds a
# table must grant clinic_runtime what it needs, and this map must say so: a table missing here fails.
RUNTIME_PRIVILEGES: dict[str, set[str]] = {
    "schema_migrations": set(),
    "conversations": {"SELECT", "INSERT", "UPDATE"},
    "messages": {"SELECT", "INSERT"},
    "api_keys": {"SELECT"},
    "specialties": {"SELECT"},
    "doctors": {"SELECT"},
    "patients": {"SELECT", "INSERT"},
    "doctor_schedules": {"SELECT"},
    "schedule_overrides": {"SELECT"},
    "appointments": {"SELECT", "INSERT", "UPDATE"},
    "audit_log": {"SELECT", "INSERT"},
    "whatsapp_inbound": {"SELECT", "INSERT", "UPDATE"},
    "chat_requests": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    # Staff edit what the clinic tells patients from the console (0028); removing a topic stays with operators.
    "clinic_info": {"SELECT", "INSERT", "UPDATE"},
    "whatsapp_outbound": {"SELECT", "INSERT", "UPDATE"},
    # A turn takes its phone's lease and gives it back.
    "turn_leases": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    # The notification service plans reminders and records each one's outcome; it never deletes one.
    "reminders": {"SELECT", "INSERT", "UPDATE"},
    # Patients join and leave the waitlist (an entry is ended, never deleted); offers are made and answered.
    "waitlist_entries": {"SELECT", "INSERT", "UPDATE"},
    "waitlist_offers": {"SELECT", "INSERT", "UPDATE"},
    # A move keeps the time it leaves, for the waitlist.
    "moved_from_slots": {"SELECT", "INSERT"},
    # Console users are made and disabled by operators; the gateway reads them and records sign-ins (columns below).
    "staff_users": {"SELECT"},
    # Sessions are opened and ended (deleted); only their last_seen_at changes.
    "staff_sessions": {"SELECT", "INSERT", "DELETE"},
    # Staff messages are queued by the gateway and sent (their outcome recorded) by the notification service.
    "staff_messages": {"SELECT", "INSERT", "UPDATE"},
    # Handovers are opened by the assistant and resolved by staff (columns below); kept, never deleted.
    "handovers": {"SELECT", "INSERT"},
    # Each console edit of clinic_info, whole, append-only like the audit log.
    "clinic_info_revisions": {"SELECT", "INSERT"},
    # Read by every turn; bumped by the triggers on doctors and specialties, in the transaction that changed them.
    "clinic_version": {"SELECT", "UPDATE"},
    # The job queue: the gateway defers, fetches, retries and finishes jobs and registers its worker.
    "procrastinate_jobs": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "procrastinate_workers": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "procrastinate_periodic_defers": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "procrastinate_events": {"SELECT", "INSERT"},
}
# procrastinate's tables have bigserial ids (its schema, not ours): inserting draws from these.
RUNTIME_SEQUENCES = {"procrastinate_jobs_id_seq", "procrastinate_periodic_defers_id_seq", "procrastinate_events_id_seq"}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


async def test_of_a_patients_row_the_runtime_may_change_only_the_reminders_consent(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        columns = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = 'patients'")
        updatable = {
            r["column_name"]
            for r in columns
            if await conn.fetchval(
                "SELECT has_column_privilege($1, 'patients', $2, 'UPDATE')", db.RUNTIME_GROUP, r["column_name"]
            )
        }
        assert updatable == {"reminders_consent", "reminders_consent_at"}
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("staff_users", {"password_hash", "failed_attempts", "locked_until", "last_login_at"}),
        ("staff_sessions", {"last_seen_at"}),
        ("handovers", {"reason", "resolved_at", "resolved_by", "announcement", "announced_at"}),
    ],
)
async def test_of_console_rows_the_runtime_may_change_only_what_signing_in_needs(
    database_url: str, table: str, columns: set[str]
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        names = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1", table)
        updatable = {
            r["column_name"]
            for r in names
            if await conn.fetchval(
                "SELECT has_column_privilege($1, $2, $3, 'UPDATE')", db.RUNTIME_GROUP, table, r["column_name"]
            )
        }
        assert updatable == columns
    finally:
        await conn.close()


async def test_every_table_grants_the_runtime_role_exactly_what_the_gateway_needs(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        granted: dict[str, set[str]] = {}
        for table in await tables(conn):
            granted[table] = {
                privilege
                for privilege in TABLE_PRIVILEGES
                if await conn.fetchval("SELECT has_table_privilege($1, $2, $3)", db.RUNTIME_GROUP, table, privilege)
            }
        assert granted == RUNTIME_PRIVILEGES
        sequences = await conn.fetch(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'S'
              AND (has_sequence_privilege($1, c.oid, 'USAGE') OR has_sequence_privilege($1, c.oid, 'UPDATE'))
            """,
            db.RUNTIME_GROUP,
        )
        # Identity columns need no grant on their sequences; procrastinate's serial ones do.
        assert {r["relname"] for r in sequences} == RUNTIME_SEQUENCES
        assert not await conn.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", db.RUNTIME_GROUP)
    finally:
        await conn.close()


async def test_the_runtime_login_owns_nothing_and_the_owner_is_reported_as_too_powerful(
    database_url: str, runtime_database_url: str
) -> None:
    owner, runtime = await asyncpg.connect(database_url), await asyncpg.connect(runtime_database_url)
    try:
        assert await db.role_problems(runtime) == []
        assert "owns audit_log" in await db.role_problems(owner)
        # The gateway still does its work: a conversation, a message and an audit row.
        conversation = await runtime.fetchval(
            "INSERT INTO conversations (user_phone) VALUES ('+59170123456') RETURNING id"
        )
        await runtime.execute(
            "INSERT INTO messages (conversation_id, user_phone, role, content)"
            " VALUES ($1, '+59170123456', 'user', 'Hola')",
            conversation,
        )
        await runtime.execute(
            "INSERT INTO audit_log (actor, action, outcome) VALUES ('system:test', 'test.done', 'success')"
        )
    finally:
        await owner.close()
        await runtime.close()


async def test_a_runtime_login_is_refused_for_the_owner_itself_or_a_superuser(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        me = await conn.fetchval("SELECT current_user")
        with pytest.raises(db.RoleError, match="role running migrations"):
            await db.ensure_runtime_login(conn, user=me, password="s3cret-and-long")
        superuser = await conn.fetchval("SELECT rolname FROM pg_roles WHERE rolsuper AND rolname <> $1 LIMIT 1", me)
        if superuser is not None:  # the bootstrap superuser, when the tests run as another role
            with pytest.raises(db.RoleError, match="superuser"):
                await db.ensure_runtime_login(conn, user=superuser, password="s3cret-and-long")
        with pytest.raises(db.RoleError, match="printable ASCII"):
            await db.ensure_runtime_login(conn, user="clinic_test_never_made", password="con espacio")
    finally:
        await conn.close()


async def test_a_runtime_login_of_someone_who_owns_tables_is_refused(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    user = f"clinic_test_owner_{uuid.uuid4().hex[:8]}"
    try:
        await conn.execute(f"CREATE ROLE {user} NOLOGIN")
        await conn.execute(f"CREATE TABLE owned_by_it (id int); ALTER TABLE owned_by_it OWNER TO {user}")
        with pytest.raises(db.RoleError, match="owns 1 objects"):
            await db.ensure_runtime_login(conn, user=user, password=None)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS owned_by_it; DROP ROLE IF EXISTS {user}")
        await conn.close()


async def test_the_password_verifier_is_the_one_postgres_computes(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    user = f"clinic_test_scram_{uuid.uuid4().hex[:8]}"
    try:
        if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            pytest.skip("reading pg_authid needs a superuser")
        await conn.execute("SET password_encryption = 'scram-sha-256'")
        await conn.execute(f"CREATE ROLE {user} PASSWORD 'Zx9-kQ_r4~vT!w'")
        stored = await conn.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", user)
        iterations, salt = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$.*", stored).groups()  # type: ignore[union-attr]
        ours = db.scram_verifier("Zx9-kQ_r4~vT!w", salt=base64.b64decode(salt), iterations=int(iterations))
        assert ours == stored
    finally:
        await conn.execute(f"DROP ROLE IF EXISTS {user}")
        await conn.close()
