"""What operators do to console users (`python -m gateway.cli staff …`, as the database owner), audited."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Final

from gateway import audit
from gateway.console import passwords, repository
from gateway.console.repository import StaffUser
from gateway.db import Connection

OPERATOR: Final = "system:cli"


async def create(
    conn: Connection, *, email: str, full_name: str, role: str, doctor_id: int | None, password: str
) -> StaffUser:
    """Add a user with `password` (hashed here); WeakPassword or StaffUserError when refused."""
    password_hash = await asyncio.to_thread(passwords.hash_password, password)
    async with conn.transaction():
        user = await repository.create_user(
            conn, email=email, full_name=full_name, role=role, doctor_id=doctor_id, password_hash=password_hash
        )
        target = audit.staff_user_actor(user.id)
        detail: dict[str, audit.DetailValue] = {"role": user.role, "doctor_id": user.doctor_id}
        await audit.record(
            conn, actor=OPERATOR, action="staff_user.created", outcome="success", target=target, detail=detail
        )
    return user


async def disable(conn: Connection, *, email: str, now: datetime) -> StaffUser | None:
    """Disable the active user with `email` and end their sessions; None when there is none."""
    async with conn.transaction():
        user = await repository.disable_user(conn, email=email, now=now)
        if user is not None:
            target = audit.staff_user_actor(user.id)
            await audit.record(conn, actor=OPERATOR, action="staff_user.disabled", outcome="success", target=target)
    return user


def describe(user: StaffUser, now: datetime) -> str:
    """One line of `staff list`: never a hash."""
    if user.disabled_at is not None:
        state = f"disabled {user.disabled_at:%Y-%m-%d %H:%M}"
    elif user.locked_until is not None and user.locked_until > now:
        state = f"locked until {user.locked_until:%Y-%m-%d %H:%M}"
    else:
        state = "active"
    doctor = f"doctor {user.doctor_id}" if user.doctor_id is not None else "-"
    last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
    return f"{user.id:>4}  {user.email:<32} {user.full_name:<28} {user.role:<9} {doctor:<10} last {last:<16}  {state}"
