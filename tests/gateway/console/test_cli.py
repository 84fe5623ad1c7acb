"""`python -m gateway.cli staff create | list | disable`, as an operator runs them, on real Postgres."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest

from appointments.demo import seed_demo_clinic
from gateway.cli import read_password
from gateway.console import passwords

PASSWORD = "correcto-caballo-bateria"


def staff(*args: str, database_url: str, password: str = "") -> tuple[int, str, str]:
    """`python -m gateway.cli staff …` as the owner of `database_url`, `password` on its stdin."""
    env = {k: v for k, v in os.environ.items() if k != "MIGRATION_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "staff", *args],
        env={**env, "DATABASE_URL": database_url},
        input=password,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout, result.stderr


async def _fetch(database_url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


async def _a_doctor(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        await seed_demo_clinic(conn)
        doctor: int = await conn.fetchval("SELECT min(id) FROM doctors")
        return doctor
    finally:
        await conn.close()


def test_staff_are_created_with_a_hashed_password_listed_without_it_and_disabled(database_url: str) -> None:
    create = ("create", "--email", "ana@clinica.bo", "--name", "Ana Pérez", "--role", "recepcion", "--password-stdin")
    code, out, err = staff(*create, database_url=database_url, password=PASSWORD + "\n")
    assert code == 0, err
    assert "created staff user" in out and PASSWORD not in out

    [row] = asyncio.run(_fetch(database_url, "SELECT email, full_name, role, password_hash FROM staff_users"))
    assert (row["email"], row["full_name"], row["role"]) == ("ana@clinica.bo", "Ana Pérez", "recepcion")
    assert row["password_hash"].startswith("$argon2id$") and passwords.verify(row["password_hash"], PASSWORD).matches

    code, listed, _ = staff("list", database_url=database_url)
    assert code == 0 and "ana@clinica.bo" in listed and "active" in listed and "$argon2" not in listed

    again = staff(*create, database_url=database_url, password=PASSWORD + "\n")
    assert again[0] != 0 and "already exists" in again[2]
    louder = staff(*create[:1], "--email", "ANA@clinica.bo", *create[3:], database_url=database_url, password=PASSWORD)
    assert louder[0] != 0 and "already exists" in louder[2]  # e-mails are unique whatever their case

    code, out, err = staff("disable", "--email", "Ana@Clinica.bo", database_url=database_url)
    assert code == 0, err
    assert "disabled" in staff("list", database_url=database_url)[1]
    gone = staff("disable", "--email", "ana@clinica.bo", database_url=database_url)
    assert gone[0] != 0 and "no active staff user" in gone[2]

    actions = asyncio.run(_fetch(database_url, "SELECT actor, action FROM audit_log ORDER BY id"))
    assert [(r["actor"], r["action"]) for r in actions] == [
        ("system:cli", "staff_user.created"),
        ("system:cli", "staff_user.disabled"),
    ]


def test_disabling_someone_ends_their_sessions(database_url: str) -> None:
    create = ("create", "--email", "ana@clinica.bo", "--name", "Ana", "--role", "admin", "--password-stdin")
    assert staff(*create, database_url=database_url, password=PASSWORD)[0] == 0

    async def open_session() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                """
                INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
                SELECT sha256('t'), id, repeat('c', 43), now(), now(), now() + interval '1 hour' FROM staff_users
                """
            )
        finally:
            await conn.close()

    asyncio.run(open_session())
    assert staff("disable", "--email", "ana@clinica.bo", database_url=database_url)[0] == 0
    assert asyncio.run(_fetch(database_url, "SELECT id FROM staff_sessions")) == []


def test_a_medico_must_be_a_doctor_and_only_a_medico_is_one(database_url: str) -> None:
    doctor = str(asyncio.run(_a_doctor(database_url)))
    base = ("create", "--email", "carmen@clinica.bo", "--name", "Carmen Quispe", "--password-stdin")

    without = staff(*base, "--role", "medico", database_url=database_url, password=PASSWORD)
    receptionist_with = staff(*base, "--role", "recepcion", "--doctor-id", doctor, database_url=database_url)
    no_such = staff(*base, "--role", "medico", "--doctor-id", "999999", database_url=database_url, password=PASSWORD)
    medico = staff(*base, "--role", "medico", "--doctor-id", doctor, database_url=database_url, password=PASSWORD)

    assert without[0] != 0 and "--doctor-id" in without[2]
    assert receptionist_with[0] != 0 and "--doctor-id" in receptionist_with[2]
    assert no_such[0] != 0 and "no doctor with id 999999" in no_such[2]
    assert medico[0] == 0, medico[2]
    assert f"doctor {doctor}" in staff("list", database_url=database_url)[1]


async def test_the_database_itself_refuses_a_medico_without_a_doctor(conn: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError, match="staff_users_medico_has_a_doctor"):
        await conn.execute(
            "INSERT INTO staff_users (email, full_name, role, password_hash)"
            " VALUES ('x@y.bo', 'X', 'medico', '$argon2')"
        )


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("corta", "at least 12 characters"), (" " * 14, "only spaces")],
)
def test_a_weak_password_creates_nobody(database_url: str, typed: str, problem: str) -> None:
    create = ("create", "--email", "ana@clinica.bo", "--name", "Ana", "--role", "admin", "--password-stdin")
    code, _, err = staff(*create, database_url=database_url, password=typed + "\n")

    assert code != 0 and problem in err and "nothing was created" in err
    assert asyncio.run(_fetch(database_url, "SELECT id FROM staff_users")) == []


def test_without_stdin_the_password_is_typed_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "otra-cosa-distinta"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    assert read_password(from_stdin=False) == PASSWORD
    with pytest.raises(SystemExit, match="differ"):
        read_password(from_stdin=False)


def test_the_runtime_role_cannot_create_staff_users(database_url: str, runtime_database_url: str) -> None:
    create = ("create", "--email", "a@b.bo", "--name", "A", "--role", "admin", "--password-stdin")
    code, _, err = staff(*create, database_url=runtime_database_url, password=PASSWORD)

    assert code != 0 and "MIGRATION_DATABASE_URL" in err and "Traceback" not in err
    assert asyncio.run(_fetch(database_url, "SELECT id FROM staff_users")) == []
