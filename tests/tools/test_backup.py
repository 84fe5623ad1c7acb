"""`make backup` / `make restore`: a dump restored into a fresh database holds the same rows."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from appointments.demo import seed_demo_clinic
from tests.support.services import runtime_url
from tools.backup import BackupError, find_tools, server_major

# Tables whose every row must come back, and the column that orders them.
CHECKED_TABLES = {
    "patients": "id",
    "appointments": "id",
    "conversations": "id",
    "messages": "id",
    "audit_log": "id",
    "api_keys": "id",
    "schema_migrations": "version",
}


def backup_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MIGRATION_DATABASE_URL"}}
    env = {**inherited, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tools.backup", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def fill_clinic(url: str) -> None:
    """The demo clinic plus appointments, a conversation, messages and audit rows."""
    conn = await asyncpg.connect(url)
    try:
        await seed_demo_clinic(conn)
        patients = [r["id"] for r in await conn.fetch("SELECT id FROM patients ORDER BY id")]
        doctors = [r["id"] for r in await conn.fetch("SELECT id FROM doctors ORDER BY id")]
        for day, (patient, doctor) in enumerate(zip(patients, doctors, strict=False), start=1):
            await conn.execute(
                """
                INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, created_by)
                VALUES ($1, $2, '2026-06-01 13:00+00'::timestamptz + make_interval(days => $3),
                        '2026-06-01 13:20+00'::timestamptz + make_interval(days => $3), 'patient')
                """,
                patient,
                doctor,
                day,
            )
        await conn.execute(
            """
            UPDATE appointments SET status = 'cancelled', cancelled_at = '2026-05-30 12:00+00'
            WHERE id = (SELECT id FROM appointments ORDER BY starts_at LIMIT 1)
            """
        )
        conversation = await conn.fetchval(
            "INSERT INTO conversations (user_phone, dialog_state) VALUES ('+59170000001', $1::jsonb) RETURNING id",
            '{"flow": "booking", "step": "choose_slot"}',
        )
        for role, text in [("user", "Hola, quiero una cita"), ("assistant", "¿Con qué especialidad?"), ("user", "ñ")]:
            await conn.execute(
                "INSERT INTO messages (conversation_id, user_phone, role, content, request_id, meta)"
                " VALUES ($1, '+59170000001', $2, $3, $4, '{\"tokens\": 12}'::jsonb)",
                conversation,
                role,
                text,
                uuid.uuid4().hex,
            )
        await conn.execute(
            "INSERT INTO audit_log (actor, action, target, outcome, detail) VALUES"
            " ('patient:1', 'appointment.booked', 'patient:1', 'success', '{\"channel\": \"whatsapp\"}'),"
            " ('staff:recepcion#1', 'appointment.cancelled', 'patient:2', 'denied', '{}')"
        )
    finally:
        await conn.close()


async def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Per table: the row count and an md5 of every row, in order."""
    conn = await asyncpg.connect(url)
    try:
        result = {}
        for table, order in CHECKED_TABLES.items():
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t.{order}), '')) AS sum"
                f" FROM {table} t"
            )
            result[table] = (row["n"], row["sum"])
        return result
    finally:
        await conn.close()


def make_dump(url: str, output_dir: Path) -> Path:
    result = backup_cli("dump", "--database-url", url, "--output-dir", str(output_dir))
    assert result.returncode == 0, result.stderr
    written = re.search(r"backup written: (\S+)", result.stdout)
    assert written, result.stdout
    return Path(written[1])


def test_a_dump_restored_into_an_empty_database_has_the_same_rows(
    database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    asyncio.run(fill_clinic(database_url))
    before = asyncio.run(fingerprint(database_url))
    assert before["appointments"][0] >= 3 and before["messages"][0] == 3 and before["audit_log"][0] == 2

    dump = make_dump(database_url, tmp_path / "backups")

    assert re.fullmatch(r"clinic-\d{8}T\d{6}Z\.dump", dump.name)
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert (dump.parent / ".gitignore").read_text() == "*\n"
    assert not list(dump.parent.glob("*.partial"))

    restored = backup_cli("restore", str(dump), "--database-url", empty_database_url)
    assert restored.returncode == 0, restored.stderr
    assert "with pg_restore" in restored.stdout
    assert asyncio.run(fingerprint(empty_database_url)) == before


async def _audit_log_still_append_only(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM audit_log")
        with pytest.raises(asyncpg.ExclusionViolationError):  # no double booking after a restore either
            await conn.execute(
                "INSERT INTO appointments (patient_id, doctor_id, starts_at, ends_at, created_by)"
                " SELECT patient_id + 1, doctor_id, starts_at, ends_at, 'staff' FROM appointments"
                " WHERE status = 'booked' ORDER BY starts_at LIMIT 1"
            )
    finally:
        await conn.close()


def test_restore_creates_a_missing_database_with_constraints_and_triggers(
    database_url: str, missing_database_url: str, tmp_path: Path
) -> None:
    asyncio.run(fill_clinic(database_url))
    dump = make_dump(database_url, tmp_path)

    restored = backup_cli("restore", str(dump), "--database-url", missing_database_url)

    assert restored.returncode == 0, restored.stderr
    assert "created database" in restored.stdout
    assert asyncio.run(fingerprint(missing_database_url)) == asyncio.run(fingerprint(database_url))
    asyncio.run(_audit_log_still_append_only(missing_database_url))
    asyncio.run(_runtime_role_may_append_but_not_rewrite(runtime_url(missing_database_url)))


async def _runtime_role_may_append_but_not_rewrite(url: str) -> None:
    """The grants came back with the rows: the gateway can work on the restored database, no more."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO audit_log (actor, action, outcome) VALUES ('system:restore', 'backup.restored', 'success')"
        )
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 3
        assert await conn.fetchval("SELECT count(*) FROM patients") > 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="must be owner"):
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.execute("DELETE FROM audit_log")
    finally:
        await conn.close()


def test_a_dump_is_made_as_the_owner_when_the_gateways_url_is_set_too(database_url: str, tmp_path: Path) -> None:
    asyncio.run(fill_clinic(database_url))
    gateway_only = backup_cli("dump", "--output-dir", str(tmp_path), env={"DATABASE_URL": runtime_url(database_url)})
    assert gateway_only.returncode == 1 and "permission denied" in gateway_only.stderr

    both = {"DATABASE_URL": runtime_url(database_url), "MIGRATION_DATABASE_URL": database_url}
    made = backup_cli("dump", "--output-dir", str(tmp_path), env=both)
    assert made.returncode == 0, made.stderr
    assert "backup written" in made.stdout


def test_restore_refuses_a_database_that_is_not_empty(database_url: str, tmp_path: Path) -> None:
    asyncio.run(fill_clinic(database_url))
    dump = make_dump(database_url, tmp_path)
    before = asyncio.run(fingerprint(database_url))

    refused = backup_cli("restore", str(dump), "--database-url", database_url)

    assert refused.returncode == 1
    assert "refusing to restore" in refused.stderr and "not empty" in refused.stderr
    assert asyncio.run(fingerprint(database_url)) == before


def test_restore_of_a_missing_file_is_a_clear_error(empty_database_url: str, tmp_path: Path) -> None:
    result = backup_cli("restore", str(tmp_path / "nope.dump"), "--database-url", empty_database_url)
    assert result.returncode == 1 and "no such backup file" in result.stderr


def test_the_servers_own_major_version_is_preferred(postgres_server_url: str) -> None:
    major = asyncio.run(server_major(postgres_server_url))
    tools = find_tools("pg_dump", major)
    assert all(tool.major >= major for tool in tools)
    assert [tool.major for tool in tools] == sorted((t.major for t in tools), key=lambda m: (m != major, m))
    with pytest.raises(BackupError, match="no pg_dump for PostgreSQL 99"):
        find_tools("pg_dump", 99)
