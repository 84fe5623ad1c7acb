"""`make run`'s demo console users on real Postgres: made once through the console's own admin code, with random
passwords kept in .data/ and printed again on every later run."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import asyncpg

from appointments.demo import seed_demo_clinic
from devstack import console_users
from gateway import audit
from gateway.console import passwords, repository


async def test_a_fresh_database_gets_a_receptionist_and_a_doctor_who_can_sign_in(conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)

    logins = await console_users.ensure_demo_staff(conn, {})

    assert [(login.staff.email, login.created) for login in logins] == [
        ("recepcion@demo.clinica.bo", True),
        ("medico@demo.clinica.bo", True),
    ]
    quispe = await conn.fetchval("SELECT id FROM doctors WHERE full_name = 'Dra. Carmen Quispe'")
    for login in logins:
        found = await repository.candidate(conn, login.staff.email)
        assert found is not None and login.password is not None
        assert passwords.verify(found.password_hash, login.password).matches
        assert found.user.doctor_id == (quispe if found.user.role == "medico" else None)
    assert [e.outcome for e in await audit.recent(conn, action="staff_user.created")] == ["success", "success"]
    assert len({login.password for login in logins}) == 2


async def test_a_restart_finds_them_and_gives_back_the_kept_passwords(conn: asyncpg.Connection) -> None:
    await seed_demo_clinic(conn)
    first = await console_users.ensure_demo_staff(conn, {})
    kept = {login.staff.email: login.password or "" for login in first}

    again = await console_users.ensure_demo_staff(conn, kept)
    lost = await console_users.ensure_demo_staff(conn, {"medico@demo.clinica.bo": "not-the-password"})

    assert [(login.password, login.created) for login in again] == [(login.password, False) for login in first]
    assert [login.password for login in lost] == [None, None]
    assert await conn.fetchval("SELECT count(*) FROM staff_users") == 2


def test_prepare_keeps_the_passwords_in_a_private_file_and_the_banner_prints_them(
    database_url: str, tmp_path: Path
) -> None:
    async def seed() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await seed_demo_clinic(conn)
        finally:
            await conn.close()

    asyncio.run(seed())
    kept = tmp_path / ".data" / "console-users"

    first = console_users.prepare(database_url, kept)
    second = console_users.prepare(database_url, kept)

    assert [login.password for login in second] == [login.password for login in first]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert console_users.read_saved(kept) == {login.staff.email: login.password for login in first}
    banner = "\n".join(console_users.describe(second, "http://127.0.0.1:8000/console/", kept))
    assert "console:   http://127.0.0.1:8000/console/" in banner
    for login in first:
        assert f"{login.staff.email}" in banner and f"{login.password}" in banner
    assert "Médico/a, Dra. Carmen Quispe" in banner and "Recepción" in banner
