"""API keys: issued once, stored as a hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gateway.db import Connection

KEY_TAG = "ck"
SCOPES = frozenset({"chat", "staff", "admin"})
# Compared against when a prefix is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"no such key").digest()
_PREFIX = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    """A new key; `secret` is shown once and never stored."""

    key: ApiKey
    secret: str


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _split(secret: str) -> str | None:
    """The lookup prefix of a `ck_<prefix>_<random>` key, or None when it is not shaped like one."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_TAG or len(parts[1]) != 8 or len(parts[2]) < 32:
        return None
    return parts[1]


def claimed_prefix(secret: str) -> str | None:
    """The prefix a presented key claims, for audit rows about refused keys; never any of the secret part."""
    prefix = _split(secret)
    return prefix if prefix is not None and _PREFIX.fullmatch(prefix) else None


def _from_row(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        scopes=frozenset(row["scopes"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def create_api_key(conn: Connection, *, name: str, scopes: set[str]) -> IssuedKey:
    """Issue a key named `name` with `scopes`; the returned secret is the only copy."""
    unknown = scopes - SCOPES
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {sorted(SCOPES)}, got {sorted(scopes)}")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_TAG}_{prefix}_{secrets.token_urlsafe(32)}"
    row = await conn.fetchrow(
        """
        INSERT INTO api_keys (name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4)
        RETURNING id, name, prefix, scopes, created_at, revoked_at
        """,
        name,
        prefix,
        _hash(secret),
        sorted(scopes),
    )
    assert row is not None
    return IssuedKey(key=_from_row(row), secret=secret)


async def authenticate(conn: Connection, secret: str) -> ApiKey | None:
    """The active key matching `secret`, or None. Timing does not reveal which part was wrong."""
    prefix = _split(secret)
    row = None
    if prefix is not None:
        row = await conn.fetchrow(
            """
            SELECT id, name, prefix, scopes, created_at, revoked_at, key_hash
            FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL
            """,
            prefix,
        )
    stored = bytes(row["key_hash"]) if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(stored, _hash(secret))
    return _from_row(row) if row is not None and matches else None


async def list_api_keys(conn: Connection) -> list[ApiKey]:
    """All keys, newest first, revoked ones included."""
    rows = await conn.fetch(
        "SELECT id, name, prefix, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id DESC"
    )
    return [_from_row(row) for row in rows]


async def revoke_api_key(conn: Connection, *, prefix: str) -> bool:
    """Revoke the key with `prefix`; False when there is no such active key."""
    result: str = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL", prefix
    )
    return result == "UPDATE 1"
