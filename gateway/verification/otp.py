"""One-time codes by SMS: issue, rate-limit, check once, lock out guessers, remember who is verified.

Redis holds only HMACs of codes, never a code. Keys are named after an HMAC of the phone too, so a
Redis dump reveals neither codes nor phone numbers. Every expiry is judged by the injected clock;
the Redis TTLs set alongside only make sure nothing outlives its use.

Each decision that must not race runs in Redis as one Lua script:
- sending: lockout check + sliding-window counts (per 15 min and per day) + the daily SMS budgets
  of the sender (API key or WhatsApp channel) and of the whole clinic + recording the send, so a
  refused send consumes nothing;
- checking: lockout check + reading the code + reserving one of the `max_attempts` tries and one
  of the `max_failures_per_day` wrong codes a phone may enter in 24 h, so no burst of concurrent
  guesses gets more comparisons than that; the HMACs are then compared in Python in constant time,
  and a match deletes the code only if it is still the same one.

Budgets and the daily lockout follow the clinic's local day (`tz`): they end at its midnight.
The budget keys are shared by every phone, so the send script spans slots: it needs one Redis
(what compose and k8s run), not a Redis Cluster.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

import redis.asyncio as redis
import structlog
from redis.exceptions import RedisError

from gateway.log import mask_phone
from gateway.verification.destinations import textable
from gateway.verification.errors import (
    LockedOut,
    NoActiveCode,
    NotTextable,
    SmsBudgetExhausted,
    TooManyCodes,
    VerificationUnavailable,
)
from gateway.verification.sms import SmsDeliveryError, SmsSender, otp_sms
from gateway.verification.vouching import VouchedBy

log = structlog.get_logger(__name__)

VERIFIED_TTL = 30 * 60
CODE_DIGITS = 6

# KEYS: sends (zset of send times, ms), lock, sender's budget, total budget.  ARGV: now, "(" + window
# start, day start, window ms, per window, day ms, per day, member, sender budget, total budget, budget ttl ms.
# -> {"ok", 0} | {"locked", ms} | {"limited", ms} | {"limited_key", 0} | {"limited_total", 0}
_RESERVE_SEND = """
local now = tonumber(ARGV[1])
local locked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if locked_until > now then return {'locked', locked_until - now} end
local window, per_window = tonumber(ARGV[4]), tonumber(ARGV[5])
local day, per_day = tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local wait = 0
local recent = redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf')
if recent >= per_window then
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', recent - per_window, 1)
  wait = math.max(wait, tonumber(first[2]) + window - now)
end
local today = redis.call('ZCARD', KEYS[1])
if today >= per_day then
  local first = redis.call('ZRANGE', KEYS[1], today - per_day, today - per_day, 'WITHSCORES')
  wait = math.max(wait, tonumber(first[2]) + day - now)
end
if wait > 0 then return {'limited', wait} end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[9]) then return {'limited_key', 0} end
if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[10]) then return {'limited_total', 0} end
redis.call('ZADD', KEYS[1], now, ARGV[8])
redis.call('PEXPIRE', KEYS[1], day)
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[11])
redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[11])
return {'ok', 0}
"""

# KEYS: code, fails, lock, day fails (zset of wrong-try times, ms).  ARGV: now, max attempts, lockout ms,
# locked-until, day start, max failures per day, end of the local day (ms), member, day ms.
# -> {"ok", attempt, stored, failures in 24 h} | {"none", 0} | {"locked", ms}
_RESERVE_ATTEMPT = """
local now = tonumber(ARGV[1])
local locked_until = tonumber(redis.call('GET', KEYS[3]) or '0')
if locked_until > now then return {'locked', locked_until - now} end
local stored = redis.call('GET', KEYS[1])
if not stored then return {'none', 0} end
local sep = string.find(stored, ':', 1, true)
if not sep or tonumber(string.sub(stored, 1, sep - 1)) <= now then return {'none', 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[6]) then
  local day_end = tonumber(ARGV[7])
  redis.call('SET', KEYS[3], day_end, 'PX', day_end - now)
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
  return {'locked', day_end - now}
end
local attempt = redis.call('INCR', KEYS[2])
if attempt == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if attempt > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3])
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'locked', tonumber(ARGV[3])}
end
redis.call('ZADD', KEYS[4], now, ARGV[8])
redis.call('PEXPIRE', KEYS[4], ARGV[9])
return {'ok', attempt, stored, redis.call('ZCARD', KEYS[4])}
"""

# KEYS: code, fails, day fails.  ARGV: the stored value that matched.  -> 1 when this call consumed the code.
_CONSUME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 1
end
return 0
"""

# KEYS: lock, then keys to delete.  ARGV: now, locked-until.  A shorter lock never cuts a longer one.
_LOCK = """
local now, locked_until = tonumber(ARGV[1]), tonumber(ARGV[2])
if locked_until > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], locked_until, 'PX', locked_until - now)
end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"""


SendOutcome = Literal["sent", "locked", "limited_phone", "limited_key", "limited_total", "country_refused", "error"]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class OtpService:
    """Verification codes for phones, stored in Redis under `key_prefix`.

    `check_code` answers True once per code and False for a wrong one; it raises `NoActiveCode`
    when there is nothing to check against (so the dialog can offer a new code) and `LockedOut`
    from the `max_attempts`-th wrong try on. Wrong tries count per phone over `lockout` seconds,
    not per code, so asking for a new code buys no extra guesses; a success clears them.
    `max_failures_per_day` wrong codes within 24 h lock the phone until the clinic's midnight
    (`tz`), whatever the 15-minute windows say; only `unlock` (staff) lifts that early.
    A send counts against the limits even when the SMS provider then fails.

    Codes go only to phones `may_text` accepts, within `budget_per_key` sends a day per sender
    and `budget_total` in all. `on_send` hears how each send attempt ended (for the metrics).
    """

    def __init__(
        self,
        redis_client: redis.Redis,
        sms: SmsSender,
        *,
        secret: bytes,
        key_prefix: str,
        clock: Callable[[], float] = time.time,
        code_ttl: float = 300,
        max_attempts: int = 5,
        lockout: float = 900,
        sends_per_window: int = 3,
        send_window: float = 900,
        sends_per_day: int = 10,
        max_failures_per_day: int = 10,
        allowed_country_codes: Collection[int] = frozenset({591}),
        budget_per_key: int = 200,
        budget_total: int = 1000,
        tz: tzinfo = UTC,
        clinic_name: str = "Clínica",
        on_send: Callable[[SendOutcome], None] | None = None,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("secret must be at least 16 bytes")
        limits = (max_attempts, sends_per_window, sends_per_day, max_failures_per_day, budget_per_key, budget_total)
        if min(code_ttl, lockout, send_window) <= 0 or min(limits) < 1:
            raise ValueError("durations must be positive and limits at least 1")
        if not allowed_country_codes:
            raise ValueError("allowed_country_codes must name at least one country")
        self._redis = redis_client
        self._sms = sms
        self._secret = secret
        self._prefix = key_prefix
        self._clock = clock
        self._code_ttl = _ms(code_ttl)
        self._max_attempts = max_attempts
        self._lockout = _ms(lockout)
        self._per_window = sends_per_window
        self._window = _ms(send_window)
        self._per_day = sends_per_day
        self._failures_per_day = max_failures_per_day
        self._countries = frozenset(allowed_country_codes)
        self._budget_per_key = budget_per_key
        self._budget_total = budget_total
        self._tz = tz
        self._clinic_name = clinic_name
        self._on_send = on_send or (lambda outcome: None)
        self._reserve_send = redis_client.register_script(_RESERVE_SEND)
        self._reserve_attempt = redis_client.register_script(_RESERVE_ATTEMPT)
        self._consume = redis_client.register_script(_CONSUME)
        self._lock = redis_client.register_script(_LOCK)

    def _now(self) -> int:
        return round(self._clock() * 1000)

    def _key(self, phone: str, kind: str) -> str:
        # The braces keep one phone's keys in one cluster slot, as its scripts need.
        phone_id = hmac.new(self._secret, b"key:" + phone.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self._prefix}:otp:{{{phone_id}}}:{kind}"

    def _mac(self, phone: str, code: str) -> str:
        return hmac.new(self._secret, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def _local_day(self, now: int) -> tuple[str, int]:
        """The clinic's local date at `now` (ms), and when it ends (ms)."""
        local = datetime.fromtimestamp(now / 1000, self._tz)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=self._tz)
        return local.date().isoformat(), round(midnight.timestamp() * 1000)

    def _budget_keys(self, day: str, vouched_by: VouchedBy) -> list[str]:
        sender = hmac.new(self._secret, b"sender:" + vouched_by.encode(), hashlib.sha256).hexdigest()[:32]
        return [f"{self._prefix}:sms-budget:{day}:key:{sender}", f"{self._prefix}:sms-budget:{day}:total"]

    def _locked_out(self, wait: int) -> LockedOut:
        # Only a lock that lasts until the clinic's midnight outlasts the window's.
        return LockedOut(_seconds(wait), for_the_day=wait > self._lockout)

    def may_text(self, phone: str) -> bool:
        """Whether codes may go to `phone`: a valid mobile number of an allowed country. Counts refusals."""
        if textable(phone, self._countries):
            return True
        self._on_send("country_refused")
        return False

    async def send_code(self, phone: str, vouched_by: VouchedBy) -> None:
        """Text a fresh code to `phone`, replacing any earlier one; `vouched_by` pays from its budget.

        Raises NotTextable before anything is counted or sent, LockedOut, TooManyCodes,
        SmsBudgetExhausted (all three with `retry_after`), or SmsDeliveryError.
        """
        if not self.may_text(phone):
            log.warning("otp_send_refused", reason="not_textable")
            raise NotTextable()
        now = self._now()
        day = 24 * 3600 * 1000
        today, day_end = self._local_day(now)
        status, wait = await self._reserve_send(
            keys=[self._key(phone, "sends"), self._key(phone, "lock"), *self._budget_keys(today, vouched_by)],
            args=[
                now,
                f"({now - self._window}",
                now - day,
                self._window,
                self._per_window,
                day,
                self._per_day,
                secrets.token_hex(8),
                self._budget_per_key,
                self._budget_total,
                day_end - now + day,  # a day past its end: long enough for anyone reading it that day
            ],
        )
        match _text(status):
            case "locked":
                self._on_send("locked")
                raise self._locked_out(int(wait))
            case "limited":
                self._on_send("limited_phone")
                log.info("otp_send_limited", phone=mask_phone(phone))
                raise TooManyCodes(_seconds(int(wait)))
            case "limited_key" | "limited_total" as limited:
                scope: Literal["key", "total"] = "key" if limited == "limited_key" else "total"
                self._on_send(limited)
                # The sender is an API key id or the clinic's own WhatsApp number id, never a patient's.
                log.warning("sms_budget_exhausted", scope=scope, vouched_by=vouched_by)
                raise SmsBudgetExhausted(scope, _seconds(day_end - now))
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        await self._redis.set(
            self._key(phone, "code"), f"{now + self._code_ttl}:{self._mac(phone, code)}", px=self._code_ttl
        )
        minutes = max(1, round(self._code_ttl / 60_000))
        try:
            await self._sms.send(phone, otp_sms(self._clinic_name, code, minutes))
        except SmsDeliveryError:
            self._on_send("error")
            raise
        self._on_send("sent")
        log.info("otp_sent", phone=mask_phone(phone))

    async def check_code(self, phone: str, code: str) -> bool:
        """True when `code` is the active code for `phone` (which it then consumes), False when wrong.

        Raises NoActiveCode when none is waiting and LockedOut when this or earlier tries used up
        the attempts (of the window, or of the day: then `for_the_day`).
        """
        now = self._now()
        day = 24 * 3600 * 1000
        _, day_end = self._local_day(now)
        code_key, fails_key = self._key(phone, "code"), self._key(phone, "fails")
        lock_key, day_fails_key = self._key(phone, "lock"), self._key(phone, "day-fails")
        result = await self._reserve_attempt(
            keys=[code_key, fails_key, lock_key, day_fails_key],
            args=[
                now,
                self._max_attempts,
                self._lockout,
                now + self._lockout,
                now - day,
                self._failures_per_day,
                day_end,
                secrets.token_hex(8),
                day,
            ],
        )
        status = _text(result[0])
        if status == "locked":
            raise self._locked_out(int(result[1]))
        if status == "none":
            raise NoActiveCode()
        attempt, stored, failures_today = int(result[1]), _text(result[2]), int(result[3])
        stored_mac = stored.partition(":")[2]
        if hmac.compare_digest(stored_mac.encode(), self._mac(phone, code.strip()).encode()):
            if await self._consume(keys=[code_key, fails_key, day_fails_key], args=[stored]):
                log.info("otp_verified", phone=mask_phone(phone))
                return True
            raise NoActiveCode()  # a concurrent check consumed it, or a lockout voided it
        if failures_today >= self._failures_per_day:
            await self._lock(keys=[lock_key, code_key, fails_key, day_fails_key], args=[now, day_end])
            log.warning("otp_locked_for_the_day", phone=mask_phone(phone))
            raise LockedOut(_seconds(day_end - now), for_the_day=True)
        if attempt >= self._max_attempts:
            await self._lock(keys=[lock_key, code_key, fails_key], args=[now, now + self._lockout])
            log.warning("otp_locked_out", phone=mask_phone(phone))
            raise LockedOut(_seconds(self._lockout))
        return False

    async def unlock(self, phone: str) -> bool:
        """Lift `phone`'s lockout and forget its wrong tries and sends (staff, after checking who calls).

        True when the phone was locked. The daily SMS budgets stay as they are. Raises
        VerificationUnavailable when Redis does not answer.
        """
        lock_key = self._key(phone, "lock")
        try:
            async with self._redis.pipeline(transaction=True) as tx:
                tx.get(lock_key)
                tx.delete(lock_key, self._key(phone, "fails"), self._key(phone, "day-fails"), self._key(phone, "sends"))
                locked_until, _ = await tx.execute()
        except RedisError as exc:
            raise VerificationUnavailable("the verification store is not reachable; please retry shortly") from exc
        was_locked = _holds(locked_until, self._now())
        log.info("otp_unlocked", phone=mask_phone(phone), was_locked=was_locked)
        return was_locked

    async def is_locked(self, phone: str) -> bool:
        """Whether `phone` is locked out of verification now (too many wrong codes or sends)."""
        return _holds(await self._redis.get(self._key(phone, "lock")), self._now())

    def _verified_key(self, phone: str, vouched_by: VouchedBy) -> str:
        scope = hmac.new(self._secret, b"scope:" + vouched_by.encode(), hashlib.sha256).hexdigest()[:32]
        return self._key(phone, f"verified:{scope}")

    async def mark_verified(self, phone: str, vouched_by: VouchedBy, ttl: float = VERIFIED_TTL) -> None:
        """Remember for `ttl` seconds that `phone` proved it holds the number, to `vouched_by` only."""
        ms = _ms(ttl)
        await self._redis.set(self._verified_key(phone, vouched_by), self._now() + ms, px=ms)

    async def is_verified(self, phone: str, vouched_by: VouchedBy) -> bool:
        """Whether `phone` proved it holds the number, recently, through `vouched_by`."""
        return _holds(await self._redis.get(self._verified_key(phone, vouched_by)), self._now())

    async def standing(self, phone: str, vouched_by: VouchedBy) -> Standing:
        """`is_locked` and `is_verified` at once, in one call to Redis (the keys share the phone's slot)."""
        locked, verified = await self._redis.mget(self._key(phone, "lock"), self._verified_key(phone, vouched_by))
        now = self._now()
        return Standing(locked=_holds(locked, now), verified=_holds(verified, now))


def _holds(until: bytes | str | None, now: int) -> bool:
    """Whether a stored expiry (milliseconds, as `_now`) is still ahead of `now`."""
    return until is not None and int(until) > now


@dataclass(frozen=True)
class Standing:
    """Where a phone stands with verification: locked out of it, verified through one sender."""

    locked: bool
    verified: bool


def last4_matches(registered_phone: str, digits: str) -> bool:
    """Whether `digits` (exactly four ASCII digits) are the last four of `registered_phone`, in constant time."""
    well_formed = len(digits) == 4 and all(c in "0123456789" for c in digits)
    on_file = "".join(c for c in registered_phone if c in "0123456789")[-4:]
    expected = on_file if len(on_file) == 4 else "----"
    offered = digits if well_formed else "xxxx"
    return hmac.compare_digest(expected.encode(), offered.encode()) and well_formed
