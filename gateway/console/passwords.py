"""Staff passwords: argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile), never stored in clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 256  # long enough for any passphrase, short enough that hashing one is not a weapon

_hasher = PasswordHasher()
# Checked against when the e-mail is unknown (or the account cannot sign in), so every failure costs one hash.
_DUMMY_HASH: Final = _hasher.hash("no such staff user, no such password")


class WeakPassword(ValueError):
    """A password the console refuses to set (the message says why)."""


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a password: `matches`, and `new_hash` when the stored one should be replaced."""

    matches: bool
    new_hash: str | None = None


def check_strength(password: str) -> None:
    """Raise WeakPassword unless `password` is 12 to 256 characters and not only spaces."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")


def hash_password(password: str) -> str:
    """The encoded argon2id hash of a password that passes `check_strength`."""
    check_strength(password)
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> Checked:
    """Check `password` against `stored_hash` (None: against a dummy, to spend the same time and fail).

    A match under older parameters comes with `new_hash`, the password hashed under today's.
    """
    real = stored_hash is not None and len(password) <= MAX_LENGTH
    try:
        # A too-long guess is cut, still hashed, and fails: it costs the same as any other.
        _hasher.verify(stored_hash if real and stored_hash else _DUMMY_HASH, password[:MAX_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Checked(matches=False)
    if not real or stored_hash is None:
        return Checked(matches=False)
    return Checked(matches=True, new_hash=_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)
