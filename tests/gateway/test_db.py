from __future__ import annotations

import asyncio
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
