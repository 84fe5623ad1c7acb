"""One-time codes by SMS: issue, rate-limit, check once, lock out guessers, remember who is verified.

Redis holds only HMACs of codes, never a code. Keys are named after an HMAC of the phone too, so a
Redis dump reveals neither codes nor phone numbers. Every expiry is judged by the injected clock;
the Redis TTLs set alongside only make sure nothing outlives its use.

Each decision that must not race runs in Redis as one Lua script:
- sending: lockout check + sliding-window counts (per 15 min and per day) + recording the send;
- checking: lockout check + reading the code + reserving one of the `max_attempts` tries, so no
  burst of concurrent guesses gets more comparisons than that; the HMACs are then compared in
  Python in constant time, and a match deletes the code only if it is still the same one.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable

import redis.asyncio as redis
import structlog

from gateway.conversation import replies
from gateway.errors import GatewayError
from gateway.log import mask_phone
from gateway.verification.sms import SmsSender
from gateway.verification.vouching import VouchedBy

log = structlog.get_logger(__name__)

VERIFIED_TTL = 30 * 60
CODE_DIGITS = 6

# KEYS: sends (zset of send times, ms), lock.  ARGV: now, "(" + window start, day start,
# window ms, per window, day ms, per day, member.  -> {"ok", 0} | {"locked", ms} | {"limited", ms}
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
redis.call('ZADD', KEYS[1], now, ARGV[8])
redis.call('PEXPIRE', KEYS[1], day)
return {'ok', 0}
"""

# KEYS: code, fails, lock.  ARGV: now, max attempts, lockout ms, locked-until.
# -> {"ok", attempt, stored} | {"none", 0} | {"locked", ms}
_RESERVE_ATTEMPT = """
local now = tonumber(ARGV[1])
local locked_until = tonumber(redis.call('GET', KEYS[3]) or '0')
if locked_until > now then return {'locked', locked_until - now} end
local stored = redis.call('GET', KEYS[1])
if not stored then return {'none', 0} end
local sep = string.find(stored, ':', 1, true)
if not sep or tonumber(string.sub(stored, 1, sep - 1)) <= now then return {'none', 0} end
local attempt = redis.call('INCR', KEYS[2])
if attempt == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if attempt > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3])
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'locked', tonumber(ARGV[3])}
end
return {'ok', attempt, stored}
"""

# KEYS: code, fails.  ARGV: the stored value that matched.  -> 1 when this call consumed the code.
_CONSUME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


class TooManyCodes(GatewayError):
    """This phone asked for too many codes; `retry_after` seconds until the next one may be sent."""

    status_code = 429
    code = "too_many_codes"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many codes requested; retry in {retry_after} s", headers={"Retry-After": str(retry_after)}
        )
        self.retry_after = retry_after


class LockedOut(GatewayError):
    """Too many wrong codes; no sends or checks for `retry_after` seconds."""

    status_code = 429
    code = "verification_locked"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Verification locked; retry in {retry_after} s", headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class NoActiveCode(GatewayError):
    """No code is waiting for this phone: never sent, expired, already used, or voided by a lockout."""

    status_code = 409
    code = "no_active_code"

    def __init__(self) -> None:
        super().__init__("No active verification code; request a new one")


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
    A send counts against the limits even when the SMS provider then fails.
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
    ) -> None:
        if len(secret) < 16:
            raise ValueError("secret must be at least 16 bytes")
        if min(code_ttl, lockout, send_window) <= 0 or min(max_attempts, sends_per_window, sends_per_day) < 1:
            raise ValueError("durations must be positive and limits at least 1")
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
        self._reserve_send = redis_client.register_script(_RESERVE_SEND)
        self._reserve_attempt = redis_client.register_script(_RESERVE_ATTEMPT)
        self._consume = redis_client.register_script(_CONSUME)

    def _now(self) -> int:
        return round(self._clock() * 1000)

    def _key(self, phone: str, kind: str) -> str:
        # The braces keep one phone's keys in one cluster slot, as its scripts need.
        phone_id = hmac.new(self._secret, b"key:" + phone.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self._prefix}:otp:{{{phone_id}}}:{kind}"

    def _mac(self, phone: str, code: str) -> str:
        return hmac.new(self._secret, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    async def send_code(self, phone: str) -> None:
        """Text a fresh code to `phone`, replacing any earlier one.

        Raises LockedOut, TooManyCodes (both with `retry_after`), or SmsDeliveryError.
        """
        now = self._now()
        day = 24 * 3600 * 1000
        status, wait = await self._reserve_send(
            keys=[self._key(phone, "sends"), self._key(phone, "lock")],
            args=[
                now,
                f"({now - self._window}",
                now - day,
                self._window,
                self._per_window,
                day,
                self._per_day,
                secrets.token_hex(8),
            ],
        )
        if _text(status) == "locked":
            raise LockedOut(_seconds(int(wait)))
        if _text(status) == "limited":
            log.info("otp_send_limited", phone=mask_phone(phone))
            raise TooManyCodes(_seconds(int(wait)))
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        await self._redis.set(
            self._key(phone, "code"), f"{now + self._code_ttl}:{self._mac(phone, code)}", px=self._code_ttl
        )
        minutes = max(1, round(self._code_ttl / 60_000))
        await self._sms.send(phone, replies.otp_sms(code, minutes))
        log.info("otp_sent", phone=mask_phone(phone))

    async def check_code(self, phone: str, code: str) -> bool:
        """True when `code` is the active code for `phone` (which it then consumes), False when wrong.

        Raises NoActiveCode when none is waiting and LockedOut when this or earlier tries used up
        the attempts.
        """
        now = self._now()
        code_key, fails_key = self._key(phone, "code"), self._key(phone, "fails")
        lock_key = self._key(phone, "lock")
        result = await self._reserve_attempt(
            keys=[code_key, fails_key, lock_key], args=[now, self._max_attempts, self._lockout, now + self._lockout]
        )
        status = _text(result[0])
        if status == "locked":
            raise LockedOut(_seconds(int(result[1])))
        if status == "none":
            raise NoActiveCode()
        attempt, stored = int(result[1]), _text(result[2])
        stored_mac = stored.partition(":")[2]
        if hmac.compare_digest(stored_mac.encode(), self._mac(phone, code.strip()).encode()):
            if await self._consume(keys=[code_key, fails_key], args=[stored]):
                log.info("otp_verified", phone=mask_phone(phone))
                return True
            raise NoActiveCode()  # a concurrent check consumed it, or a lockout voided it
        if attempt >= self._max_attempts:
            async with self._redis.pipeline(transaction=True) as tx:
                tx.set(lock_key, now + self._lockout, px=self._lockout)
                tx.delete(code_key, fails_key)
                await tx.execute()
            log.warning("otp_locked_out", phone=mask_phone(phone))
            raise LockedOut(_seconds(self._lockout))
        return False

    def _verified_key(self, phone: str, vouched_by: VouchedBy) -> str:
        scope = hmac.new(self._secret, b"scope:" + vouched_by.encode(), hashlib.sha256).hexdigest()[:32]
        return self._key(phone, f"verified:{scope}")

    async def mark_verified(self, phone: str, vouched_by: VouchedBy, ttl: float = VERIFIED_TTL) -> None:
        """Remember for `ttl` seconds that `phone` proved it holds the number, to `vouched_by` only."""
        ms = _ms(ttl)
        await self._redis.set(self._verified_key(phone, vouched_by), self._now() + ms, px=ms)

    async def is_verified(self, phone: str, vouched_by: VouchedBy) -> bool:
        """Whether `phone` proved it holds the number, recently, through `vouched_by`."""
        value = await self._redis.get(self._verified_key(phone, vouched_by))
        return value is not None and int(value) > self._now()


def last4_matches(registered_phone: str, digits: str) -> bool:
    """Whether `digits` (exactly four ASCII digits) are the last four of `registered_phone`, in constant time."""
    well_formed = len(digits) == 4 and all(c in "0123456789" for c in digits)
    on_file = "".join(c for c in registered_phone if c in "0123456789")[-4:]
    expected = on_file if len(on_file) == 4 else "----"
    offered = digits if well_formed else "xxxx"
    return hmac.compare_digest(expected.encode(), offered.encode()) and well_formed
