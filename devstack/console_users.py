"""The demo clinic's people for `make run`: a receptionist and a doctor who sign in to the staff console.

Made once through gateway/console/admin.py (hashed, audited as any operator's), each with a random password kept
in .data/console-users (mode 600, like the demo API key) and printed with the console's address. A later run finds
them and prints the kept passwords again; a user whose password is not kept there (the database outlived .data) is
said to exist, never given a new password behind anyone's back.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg

from appointments import repository as clinic_repository
from gateway.console import admin, passwords, repository
from gateway.console.repository import ROLE_NAMES
from gateway.db import Connection

USERS_FILE: Final = Path(".data/console-users")


@dataclass(frozen=True)
class DemoStaff:
    email: str
    full_name: str
    role: str
    # A medico is the doctor of this name (appointments/demo.py's DOCTORS) and sees only their agenda.
    doctor: str | None = None


DEMO_STAFF: Final = (
    DemoStaff("recepcion@demo.clinica.bo", "Rosa Condori", "recepcion"),
    DemoStaff("medico@demo.clinica.bo", "Dra. Carmen Quispe", "medico", doctor="Dra. Carmen Quispe"),
)


@dataclass(frozen=True)
class Login:
    staff: DemoStaff
    # None: the user exists but its password is not kept in USERS_FILE.
    password: str | None
    created: bool = False


def read_saved(path: Path = USERS_FILE) -> dict[str, str]:
    """The passwords kept by earlier runs, by e-mail (lines `email password`)."""
    if not path.exists():
        return {}
    kept = (line.split(maxsplit=1) for line in path.read_text(encoding="utf-8").splitlines())
    return {parts[0]: parts[1].strip() for parts in kept if len(parts) == 2}


def write_saved(logins: Sequence[Login], path: Path = USERS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("".join(f"{login.staff.email} {login.password}\n" for login in logins if login.password))


async def _doctor_id(conn: Connection, name: str) -> int:
    found = [d.id for d in await clinic_repository.active_doctors(conn) if d.full_name == name]
    if not found:
        raise LookupError(f"demo doctor {name!r} missing: seed the demo clinic first")
    return found[0]


async def ensure_demo_staff(conn: Connection, saved: Mapping[str, str]) -> list[Login]:
    """Each demo user, made now with a random password or found with the one `saved` for it (None if not)."""
    logins: list[Login] = []
    for staff in DEMO_STAFF:
        found = await repository.candidate(conn, staff.email)
        if found is not None:
            password = saved.get(staff.email)
            checked = await asyncio.to_thread(passwords.verify, found.password_hash, password or "")
            logins.append(Login(staff, password if password and checked.matches else None))
            continue
        password = secrets.token_urlsafe(12)
        doctor_id = await _doctor_id(conn, staff.doctor) if staff.doctor else None
        await admin.create(
            conn, email=staff.email, full_name=staff.full_name, role=staff.role, doctor_id=doctor_id, password=password
        )
        logins.append(Login(staff, password, created=True))
    return logins


def describe(logins: Sequence[Login], console_url: str, path: Path = USERS_FILE) -> list[str]:
    """The banner's lines: where the console is and who signs in with what."""
    lines = [f"  console:   {console_url}   (staff sign-in; passwords kept in {path})"]
    for login in logins:
        who = ROLE_NAMES[login.staff.role] + (f", {login.staff.doctor}" if login.staff.doctor else "")
        secret = login.password or f"(exists; its password is not in {path})"
        lines.append(f"    {login.staff.email:<27} {secret}   {who}")
    return lines


def prepare(owner_url: str, path: Path = USERS_FILE) -> list[Login]:
    """The demo users on the database at `owner_url` (as its owner), their passwords kept in `path`."""

    async def ensure() -> list[Login]:
        conn = await asyncpg.connect(owner_url)
        try:
            return await ensure_demo_staff(conn, read_saved(path))
        finally:
            await conn.close()

    logins = asyncio.run(ensure())
    write_saved(logins, path)
    return logins
