"""Chat API keys admitted recently, so a turn does not look its caller's key up again on every message.

Only for /chat, whose turn checks in its first statement that the key is still active (`chat_turn_begin`): a key
revoked meanwhile is refused at once, as without this. Entries are keyed by the secret's SHA-256, never the
secret, and last `ttl` seconds; only keys that were found are kept, so wrong secrets always reach Postgres (and
its audit), and at most `max_entries` (the oldest go first).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from gateway.security.api_keys import ApiKey


class AdmittedKeys:
    """Keys found by secret in the last `ttl` seconds."""

    def __init__(self, *, ttl: float, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._found: OrderedDict[bytes, tuple[float, ApiKey]] = OrderedDict()

    def get(self, secret: str) -> ApiKey | None:
        """The key found for `secret` less than `ttl` seconds ago, else None."""
        digest = hashlib.sha256(secret.encode()).digest()
        entry = self._found.get(digest)
        if entry is None:
            return None
        if self._clock() - entry[0] >= self._ttl:
            del self._found[digest]
            return None
        return entry[1]

    def keep(self, secret: str, key: ApiKey) -> None:
        """Remember that `secret` is `key`'s, from now."""
        if self._ttl <= 0:
            return
        digest = hashlib.sha256(secret.encode()).digest()
        self._found[digest] = (self._clock(), key)
        self._found.move_to_end(digest)
        while len(self._found) > self._max:
            self._found.popitem(last=False)
