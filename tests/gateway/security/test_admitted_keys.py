"""Chat keys admitted recently (AdmittedKeys): kept by the secret's hash, for a while, a bounded number."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.security.admitted_keys import AdmittedKeys
from gateway.security.api_keys import ApiKey


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def key(n: int) -> ApiKey:
    return ApiKey(n, f"n8n-{n}", f"{n:08x}", frozenset({"chat"}), datetime(2026, 1, 1, tzinfo=UTC), None)


def test_a_key_is_kept_for_its_time_only() -> None:
    clock = Clock()
    admitted = AdmittedKeys(ttl=60, clock=clock)
    admitted.keep("ck_secret_one", key(1))

    clock.now = 59.9
    assert admitted.get("ck_secret_one") == key(1)
    assert admitted.get("ck_secret_two") is None
    clock.now = 60.0
    assert admitted.get("ck_secret_one") is None


def test_no_time_keeps_nothing() -> None:
    admitted = AdmittedKeys(ttl=0)
    admitted.keep("ck_secret_one", key(1))

    assert admitted.get("ck_secret_one") is None


def test_past_its_size_the_longest_unrenewed_go_first() -> None:
    admitted = AdmittedKeys(ttl=60, max_entries=2, clock=Clock())
    admitted.keep("a", key(1))
    admitted.keep("b", key(2))
    admitted.keep("a", key(1))
    admitted.keep("c", key(3))

    assert [admitted.get(s) for s in ("a", "b", "c")] == [key(1), None, key(3)]


def test_secrets_are_kept_only_as_hashes() -> None:
    admitted = AdmittedKeys(ttl=60)
    admitted.keep("ck_0a1b2c3d_averyverysecretpartofthekey0123456", key(1))

    assert "averyverysecret" not in repr(vars(admitted))
