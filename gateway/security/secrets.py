"""Refuse example, placeholder and guessable secrets before the gateway serves anyone.

Two kinds of secret, judged differently:

- Ours (`OTP_SECRET`, `WHATSAPP_VERIFY_TOKEN`, the Redis and Postgres passwords): the operator
  generates them, so they must look like 32 random bytes: at least 32 characters, no placeholder
  word, not one short unit repeated, and an estimated entropy of at least 128 bits (Shannon entropy of
  the value's characters times its length). `secrets.token_urlsafe(48)` and `openssl rand -hex 32`
  pass; `CHANGE-ME-at-least-16-bytes`, `aaaa…`, `my-clinic-password-2026-la-paz-bo` do not.
- A provider's (`SMS_API_TOKEN`, `WHATSAPP_APP_SECRET`, `WHATSAPP_ACCESS_TOKEN`): their format is not
  ours to choose (Meta's app secret is 32 hex characters, 16 bytes), so they must only be present,
  at least 16 characters long and not a placeholder.

With `APP_ENV=production` any finding stops the start (`InsecureConfiguration`, naming each setting
and why, never the value); with `APP_ENV=development` each one is a warning.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

from gateway.settings import Settings

MIN_OWN_SECRET_CHARS: Final = 32
MIN_OWN_SECRET_BITS: Final = 128.0
MIN_PROVIDER_SECRET_CHARS: Final = 16
# Whole words (between separators) that only a person writes into a secret, never a generator.
PLACEHOLDER_WORDS: Final = frozenset(
    {
        "change", "changeme", "replace", "replaceme", "example", "sample", "placeholder", "dummy", "fake",
        "secret", "password", "passwd", "token", "test", "testing", "demo", "default", "todo", "fixme",
        "insecure", "your", "here", "xxx", "xxxx", "123456", "qwerty", "letmein", "admin", "clinic",
    }
)  # fmt: skip
# Markers found anywhere in the value, separators ignored ("CHANGE-ME", "change_me"); so is a "<".
PLACEHOLDER_MARKERS: Final = ("changeme", "replaceme", "example", "placeholder")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Finding:
    """One weak secret: the setting it is read from and why it is refused (never its value)."""

    setting: str
    reason: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.reason}"


class InsecureConfiguration(RuntimeError):
    """The gateway was told to run in production with weak secrets."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        listed = "; ".join(str(f) for f in findings)
        super().__init__(
            f"refusing to start with APP_ENV=production: {listed}. "
            "Generate each with: python -c 'import secrets; print(secrets.token_urlsafe(48))' "
            "(deploy/secrets/README.md)"
        )


def entropy_bits(value: str) -> float:
    """Shannon entropy of the value's characters times its length: a generous estimate of its randomness."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def is_placeholder(value: str) -> bool:
    """Does the value carry a word or marker that a person, not a generator, put there?"""
    lowered = value.lower()
    squeezed = _SEPARATORS.sub("", lowered)
    if "<" in value or any(marker in squeezed for marker in PLACEHOLDER_MARKERS):
        return True
    return any(word in PLACEHOLDER_WORDS for word in _SEPARATORS.split(lowered))


def _repeats_a_unit(value: str) -> bool:
    # "abcabcabc…" is found in itself shifted by a unit's length.
    return len(value) > 1 and value in (value + value)[1:-1]


def own_secret_weakness(value: str) -> str | None:
    """Why a secret the operator generates is not 32 random bytes, or None when it passes."""
    if not value:
        return "is empty"
    if is_placeholder(value):
        return "is an example or placeholder value"
    if len(value.encode()) < MIN_OWN_SECRET_CHARS:
        return f"is shorter than {MIN_OWN_SECRET_CHARS} characters"
    if _repeats_a_unit(value):
        return "repeats one short sequence"
    if entropy_bits(value) < MIN_OWN_SECRET_BITS:
        return f"has too little randomness (under {MIN_OWN_SECRET_BITS:.0f} bits estimated)"
    return None


def provider_secret_weakness(value: str) -> str | None:
    """Why a provider-issued credential cannot be the real one, or None when it may be."""
    if not value:
        return "is empty"
    if is_placeholder(value):
        return "is an example or placeholder value"
    if len(value) < MIN_PROVIDER_SECRET_CHARS:
        return f"is shorter than {MIN_PROVIDER_SECRET_CHARS} characters"
    return None


def _url_password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password is not None else None


def weak_secrets(settings: Settings) -> list[Finding]:
    """Every secret in `settings` that production must not run with."""
    findings: list[Finding] = []

    def check(setting: str, reason: str | None) -> None:
        if reason is not None:
            findings.append(Finding(setting, reason))

    check("OTP_SECRET", own_secret_weakness(settings.otp_secret.get_secret_value() if settings.otp_secret else ""))
    if settings.whatsapp_verify_token is not None:
        check("WHATSAPP_VERIFY_TOKEN", own_secret_weakness(settings.whatsapp_verify_token.get_secret_value()))
    for name, provided in [
        ("WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
        ("WHATSAPP_ACCESS_TOKEN", settings.whatsapp_access_token),
    ]:
        if provided is not None:
            check(name, provider_secret_weakness(provided.get_secret_value()))
    check("SMS_API_TOKEN", provider_secret_weakness(settings.sms_api_token.get_secret_value()))

    if settings.redis_sentinel_password is not None:
        check("REDIS_SENTINEL_PASSWORD", own_secret_weakness(settings.redis_sentinel_password.get_secret_value()))
    redis_password = _url_password(settings.redis_url)
    if redis_password is None:
        check("REDIS_URL", "has no password (redis://:<password>@host:6379/0): Redis must require one")
    else:
        check("REDIS_URL", _in_url(own_secret_weakness(redis_password)))
    # Postgres may authenticate otherwise (a passfile, client certificates); a password given must be strong.
    for name, url in [("DATABASE_URL", settings.database_url), ("DATABASE_READ_URL", settings.database_read_url)]:
        database_password = None if url is None else _url_password(url)
        if database_password is not None:
            check(name, _in_url(own_secret_weakness(database_password)))
    return findings


def _in_url(reason: str | None) -> str | None:
    return None if reason is None else f"its password {reason}"
