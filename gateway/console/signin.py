"""Signing people in and out of the console, and the sessions in between. No HTTP here: gateway/api/console*.py.

A failed sign-in looks the same whatever failed (unknown e-mail, wrong password, a disabled or locked account),
and costs one argon2 hash whatever failed, so neither the answer nor its time tells an e-mail that exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import structlog

from gateway import audit
from gateway.console import passwords, repository
from gateway.console.repository import Session, StaffUser
from gateway.db import Connection
from gateway.errors import Forbidden, Unauthorized

log = structlog.get_logger(__name__)

# Tokens are 43 URL-safe characters; anything much longer in a cookie or form is not one of ours.
_MAX_TOKEN_CHARS: Final = 100


class SignInRequired(Unauthorized):
    """No session, or one that ended: sign in (again)."""


class CsrfRefused(Forbidden):
    """A POST without the CSRF token of its session (or of the sign-in form)."""

    code = "csrf_failed"


@dataclass(frozen=True)
class Policy:
    """How sign-ins and sessions are limited (CONSOLE_* settings)."""

    max_failed: int
    lockout: timedelta
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class SignedIn:
    """A new session: `token` goes into the cookie and is not kept anywhere else."""

    user: StaffUser
    token: str
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def tokens_match(expected: str, presented: str | None) -> bool:
    """Constant-time comparison of a CSRF token with what a request presented."""
    if not presented or len(presented) > _MAX_TOKEN_CHARS:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


async def sign_in(
    conn: Connection, *, email: str, password: str, now: datetime, policy: Policy, client_ip: str
) -> SignedIn | None:
    """A session for the person whose e-mail and password these are, or None (audited either way)."""
    found = await repository.candidate(conn, email) if 0 < len(email) <= 254 else None
    # Always one hash, off the event loop: a dummy one for an unknown e-mail.
    checked = await asyncio.to_thread(passwords.verify, found.password_hash if found else None, password)
    detail: dict[str, audit.DetailValue] = {"client_ip": client_ip[:64]}
    async with conn.transaction():
        if found is None:
            await _refused(conn, audit.ANONYMOUS, None, "failure", detail | {"reason": "unknown_email"})
            return None
        user = found.user
        actor = audit.staff_user_actor(user.id)
        if user.disabled_at is not None:
            await _refused(conn, actor, user, "failure", detail | {"reason": "disabled"})
            return None
        if user.locked_until is not None and user.locked_until > now:
            await _refused(conn, actor, user, "locked", detail | {"reason": "locked"})
            return None
        if not checked.matches:
            locked = await repository.record_failure(
                conn, user_id=user.id, max_failed=policy.max_failed, lock_until=now + policy.lockout
            )
            await _refused(conn, actor, user, "locked" if locked else "failure", detail | {"reason": "wrong_password"})
            return None
        await repository.record_sign_in(conn, user_id=user.id, now=now, new_hash=checked.new_hash)
        await repository.end_stale_sessions(conn, user_id=user.id, now=now, idle_since=now - policy.idle)
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = now + policy.absolute
        await repository.open_session(
            conn, user_id=user.id, token_hash=token_hash(token), csrf_token=csrf_token, now=now, expires_at=expires_at
        )
        detail["rehashed"] = checked.new_hash is not None
        await audit.record(conn, actor=actor, action="staff.login", outcome="success", target=actor, detail=detail)
    log.info("console_sign_in", outcome="success", staff_user_id=user.id)
    return SignedIn(user=user, token=token, csrf_token=csrf_token, expires_at=expires_at)


async def _refused(
    conn: Connection, actor: str, user: StaffUser | None, outcome: str, detail: dict[str, audit.DetailValue]
) -> None:
    target = audit.staff_user_actor(user.id) if user else None
    await audit.record(conn, actor=actor, action="staff.login", outcome=outcome, target=target, detail=detail)
    log.info("console_sign_in", outcome=outcome, reason=detail["reason"], staff_user_id=user.id if user else None)


async def resume(conn: Connection, token: str | None, *, now: datetime, policy: Policy) -> Session | None:
    """The live session of a cookie's token, its idle time restarted; None (and the session ended) when it is
    unknown, idle for `policy.idle`, past its absolute end, or its user was disabled."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    session = await repository.session_by_token(conn, token_hash(token))
    if session is None:
        return None
    if now >= session.expires_at or now - session.last_seen_at >= policy.idle:
        await repository.end_session(conn, session_id=session.id)
        return None
    await repository.touch_session(conn, session_id=session.id, now=now)
    return session


async def sign_out(conn: Connection, session: Session) -> None:
    """End `session` (audited)."""
    actor = audit.staff_user_actor(session.user.id)
    async with conn.transaction():
        await repository.end_session(conn, session_id=session.id)
        await audit.record(conn, actor=actor, action="staff.logout", outcome="success", target=actor)


def login_csrf_pair(key: bytes) -> tuple[str, str]:
    """A fresh (cookie nonce, form token) for the sign-in form: the token is the nonce signed with `key`."""
    nonce = secrets.token_urlsafe(32)
    return nonce, login_csrf_token(key, nonce)


def login_csrf_token(key: bytes, nonce: str) -> str:
    return hmac.new(key, b"console-login:" + nonce.encode(), hashlib.sha256).hexdigest()


def login_csrf_valid(key: bytes, nonce: str | None, presented: str | None) -> bool:
    """Whether the sign-in form's token belongs to the browser's nonce cookie (constant time)."""
    if not nonce or len(nonce) > _MAX_TOKEN_CHARS:
        return False
    return tokens_match(login_csrf_token(key, nonce), presented)
