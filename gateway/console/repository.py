"""The SQL of staff users and their sessions (migrations/0024_staff_console.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import asyncpg

from gateway.db import Connection

Role = Literal["recepcion", "medico", "admin"]
ROLES: Final[tuple[Role, ...]] = ("recepcion", "medico", "admin")
# How each role reads on the page.
ROLE_NAMES: Final[dict[str, str]] = {"recepcion": "Recepción", "medico": "Médico/a", "admin": "Administración"}


class StaffUserError(ValueError):
    """A user the rules refuse (an e-mail taken, a medico without a doctor); the message says which."""


@dataclass(frozen=True)
class StaffUser:
    """A person who may sign in to the console (never their password hash)."""

    id: int
    email: str
    full_name: str
    role: Role
    doctor_id: int | None
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    disabled_at: datetime | None

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


@dataclass(frozen=True)
class Candidate:
    """A user being signed in: who, their stored hash and failures so far."""

    user: StaffUser
    password_hash: str
    failed_attempts: int


@dataclass(frozen=True)
class Session:
    """A signed-in browser's session, with its user."""

    id: int
    user: StaffUser
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def _user(row: asyncpg.Record) -> StaffUser:
    return StaffUser(
        id=row["id"],
        email=row["email"],
        full_name=row["full_name"],
        role=row["role"],
        doctor_id=row["doctor_id"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
        locked_until=row["locked_until"],
        disabled_at=row["disabled_at"],
    )


async def create_user(
    conn: Connection, *, email: str, full_name: str, role: str, doctor_id: int | None, password_hash: str
) -> StaffUser:
    """Add a user; StaffUserError when the e-mail is taken, the role unknown, or the doctor wrong for the role."""
    email, full_name = email.strip(), " ".join(full_name.split())
    if role not in ROLES:
        raise StaffUserError(f"role must be one of {', '.join(ROLES)}")
    if (role == "medico") != (doctor_id is not None):
        raise StaffUserError("a medico needs --doctor-id (the doctor they are), and only a medico takes one")
    try:
        row = await conn.fetchrow(
            """
            INSERT INTO staff_users (email, full_name, role, doctor_id, password_hash) VALUES ($1, $2, $3, $4, $5)
            RETURNING id, email, full_name, role, doctor_id, created_at, last_login_at, locked_until, disabled_at
            """,
            email,
            full_name,
            role,
            doctor_id,
            password_hash,
        )
    except asyncpg.UniqueViolationError:
        raise StaffUserError(f"a staff user with the e-mail {email} already exists") from None
    except asyncpg.ForeignKeyViolationError:
        raise StaffUserError(f"there is no doctor with id {doctor_id}") from None
    except asyncpg.CheckViolationError as exc:
        raise StaffUserError(f"refused by the database: {exc.constraint_name}") from None
    assert row is not None
    return _user(row)


async def list_users(conn: Connection) -> list[StaffUser]:
    """Every user, active ones first, then by name."""
    rows = await conn.fetch(
        """
        SELECT id, email, full_name, role, doctor_id, created_at, last_login_at, locked_until, disabled_at
        FROM staff_users ORDER BY disabled_at IS NOT NULL, lower(full_name), id
        """
    )
    return [_user(row) for row in rows]


async def disable_user(conn: Connection, *, email: str, now: datetime) -> StaffUser | None:
    """Disable the active user with `email` and end their sessions; None when there is no such active user."""
    async with conn.transaction():
        row = await conn.fetchrow(
            """
            UPDATE staff_users SET disabled_at = $2 WHERE lower(email) = lower($1) AND disabled_at IS NULL
            RETURNING id, email, full_name, role, doctor_id, created_at, last_login_at, locked_until, disabled_at
            """,
            email.strip(),
            now,
        )
        if row is None:
            return None
        await conn.execute("DELETE FROM staff_sessions WHERE user_id = $1", row["id"])
    return _user(row)


async def candidate(conn: Connection, email: str) -> Candidate | None:
    """The user signing in with `email` (any case), disabled or not, with their hash; None when unknown."""
    row = await conn.fetchrow(
        """
        SELECT id, email, full_name, role, doctor_id, created_at, last_login_at, locked_until, disabled_at,
               password_hash, failed_attempts
        FROM staff_users WHERE lower(email) = lower($1)
        """,
        email.strip(),
    )
    if row is None:
        return None
    return Candidate(user=_user(row), password_hash=row["password_hash"], failed_attempts=row["failed_attempts"])


async def record_failure(conn: Connection, *, user_id: int, max_failed: int, lock_until: datetime) -> bool:
    """Count a wrong password; at `max_failed` lock the account until `lock_until` (and count afresh after).

    True when this failure locked it.
    """
    locked: bool = await conn.fetchval(
        """
        UPDATE staff_users
        SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
            locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END
        WHERE id = $1
        RETURNING locked_until IS NOT DISTINCT FROM $3
        """,
        user_id,
        max_failed,
        lock_until,
    )
    return locked


async def record_sign_in(conn: Connection, *, user_id: int, now: datetime, new_hash: str | None) -> None:
    """A right password: failures forgotten, the time kept, the hash replaced when its parameters are old."""
    await conn.execute(
        """
        UPDATE staff_users
        SET failed_attempts = 0, locked_until = NULL, last_login_at = $2, password_hash = coalesce($3, password_hash)
        WHERE id = $1
        """,
        user_id,
        now,
        new_hash,
    )


async def open_session(
    conn: Connection, *, user_id: int, token_hash: bytes, csrf_token: str, now: datetime, expires_at: datetime
) -> int:
    """Store a new session (its token's hash only); its id."""
    session_id: int = await conn.fetchval(
        """
        INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
        VALUES ($1, $2, $3, $4, $4, $5) RETURNING id
        """,
        token_hash,
        user_id,
        csrf_token,
        now,
        expires_at,
    )
    return session_id


async def session_by_token(conn: Connection, token_hash: bytes) -> Session | None:
    """The session whose token hashes to `token_hash`, if its user is not disabled."""
    row = await conn.fetchrow(
        """
        SELECT s.id AS session_id, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.expires_at,
               u.id, u.email, u.full_name, u.role, u.doctor_id, u.created_at, u.last_login_at, u.locked_until,
               u.disabled_at
        FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND u.disabled_at IS NULL
        """,
        token_hash,
    )
    if row is None:
        return None
    return Session(
        id=row["session_id"],
        user=_user(row),
        csrf_token=row["csrf_token"],
        created_at=row["session_created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
    )


async def touch_session(conn: Connection, *, session_id: int, now: datetime) -> None:
    """The session was used at `now` (its idle time restarts)."""
    await conn.execute(
        "UPDATE staff_sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE id = $1", session_id, now
    )


async def end_session(conn: Connection, *, session_id: int) -> None:
    await conn.execute("DELETE FROM staff_sessions WHERE id = $1", session_id)


async def end_stale_sessions(conn: Connection, *, user_id: int, now: datetime, idle_since: datetime) -> None:
    """Forget the user's sessions that have expired or gone idle (they would be refused anyway)."""
    await conn.execute(
        "DELETE FROM staff_sessions WHERE user_id = $1 AND (expires_at <= $2 OR last_seen_at <= $3)",
        user_id,
        now,
        idle_since,
    )
