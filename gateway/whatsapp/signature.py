"""`X-Hub-Signature-256`: how Meta signs each webhook call with the app secret."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: bytes) -> str:
    """The header value Meta sends for `body`: `sha256=` + hex HMAC-SHA256 of the raw bytes."""
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, header: str | None, secret: bytes) -> bool:
    """Whether `header` signs exactly these bytes; compared in constant time."""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().lower().encode())
