"""OtpService against a real Redis and a real local SMS server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as redis

from gateway.verification.otp import LockedOut, NoActiveCode, OtpService, TooManyCodes, last4_matches
from gateway.verification.sms import HttpSmsSender, SmsDeliveryError
from gateway.verification.vouching import by_api_key, by_whatsapp
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

PHONE = "+59170123456"
OTHER_PHONE = "+59177654321"
SECRET = b"test-secret-of-32-bytes-at-least"
KEY = by_api_key(1)
MINUTE = 60
DAY = 24 * 60 * MINUTE

MakeService = Callable[..., OtpService]


class FakeClock:
    """Time that moves only when told; starts at the real time so Redis TTLs stay sensible."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def provider() -> Iterator[FakeSmsServer]:
    with fake_sms_server() as fake:
        yield fake


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test-otp-{uuid.uuid4().hex}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_service(
    redis_client: redis.Redis, provider: FakeSmsServer, prefix: str, clock: FakeClock
) -> AsyncIterator[MakeService]:
    """Services over the shared Redis, texting the fake provider; keywords override the defaults."""
    async with HttpSmsSender(base_url=provider.url, token="tok", timeout=2) as sms:

        def make(**overrides: Any) -> OtpService:
            options: dict[str, Any] = {"secret": SECRET, "key_prefix": prefix, "clock": clock, **overrides}
            return OtpService(redis_client, sms, **options)

        yield make
    async for key in redis_client.scan_iter(match=f"{prefix}:*"):
        await redis_client.delete(key)


@pytest.fixture
def service(make_service: MakeService) -> OtpService:
    return make_service()


async def test_code_delivered_by_sms_is_accepted_once(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE)

    [received] = provider.received
    [code] = provider.codes()
    assert received.body == {"to": PHONE, "text": f"Su código de verificación es {code}. Vence en 5 minutos."}
    assert await service.check_code(PHONE, code) is True
    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, code)


async def test_wrong_code_is_refused_and_the_right_one_still_works(
    service: OtpService, provider: FakeSmsServer
) -> None:
    await service.send_code(PHONE)
    [code] = provider.codes()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert await service.check_code(PHONE, wrong) is False
    assert await service.check_code(PHONE, code) is True


async def test_code_is_bound_to_its_phone(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE)
    await service.send_code(OTHER_PHONE)
    code, other_code = provider.codes()

    assert code == other_code or await service.check_code(OTHER_PHONE, code) is False
    assert await service.check_code(PHONE, code) is True


async def test_checking_with_no_code_sent_is_no_active_code(service: OtpService) -> None:
    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, "123456")


async def test_new_code_replaces_the_previous_one(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    await service.send_code(PHONE)
    await service.send_code(PHONE)
    first, second = provider.codes()

    assert first == second or await service.check_code(PHONE, first) is False
    assert await service.check_code(PHONE, second) is True


async def test_redis_holds_no_plaintext_code_or_phone(
    service: OtpService, provider: FakeSmsServer, redis_client: redis.Redis, prefix: str
) -> None:
    await service.send_code(PHONE)
    await service.mark_verified(PHONE, KEY)
    [code] = provider.codes()

    stored = b""
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}:*")]
    assert keys
    for key in keys:
        stored += key
        if await redis_client.type(key) == b"zset":
            stored += b"".join(await redis_client.zrange(key, 0, -1))
        else:
            stored += await redis_client.get(key)
    assert code.encode() not in stored
    assert PHONE[1:].encode() not in stored and PHONE[-8:].encode() not in stored


async def test_code_expires_after_its_lifetime(service: OtpService, provider: FakeSmsServer, clock: FakeClock) -> None:
    await service.send_code(PHONE)
    [code] = provider.codes()

    clock.advance(5 * MINUTE)

    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, code)


async def test_expired_code_is_gone_from_redis(
    make_service: MakeService, provider: FakeSmsServer, redis_client: redis.Redis, prefix: str
) -> None:
    service = make_service(clock=time.time, code_ttl=0.2)
    await service.send_code(PHONE)
    [code] = provider.codes()

    await asyncio.sleep(0.3)

    assert [key async for key in redis_client.scan_iter(match=f"{prefix}:*:code")] == []
    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, code)


async def test_five_wrong_tries_lock_out_even_the_right_code(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    await service.send_code(PHONE)
    [code] = provider.codes()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for _ in range(4):
        assert await service.check_code(PHONE, wrong) is False
    with pytest.raises(LockedOut) as fifth:
        await service.check_code(PHONE, wrong)
    assert fifth.value.retry_after == 15 * MINUTE

    clock.advance(10 * MINUTE)
    with pytest.raises(LockedOut) as later:
        await service.check_code(PHONE, code)
    assert later.value.retry_after == 5 * MINUTE
    with pytest.raises(LockedOut):
        await service.send_code(PHONE)
    assert len(provider.received) == 1

    clock.advance(5 * MINUTE)
    with pytest.raises(NoActiveCode):  # the lockout voided the old code
        await service.check_code(PHONE, code)
    await service.send_code(PHONE)
    assert await service.check_code(PHONE, provider.codes()[-1]) is True


async def test_lockout_is_per_phone(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE)
    await service.send_code(OTHER_PHONE)
    code, other_code = provider.codes()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        await service.check_code(PHONE, wrong)
    with pytest.raises(LockedOut):
        await service.check_code(PHONE, wrong)

    assert await service.check_code(OTHER_PHONE, other_code) is True


async def test_concurrent_guesses_get_no_more_than_the_allowed_tries(
    service: OtpService, provider: FakeSmsServer
) -> None:
    await service.send_code(PHONE)
    [code] = provider.codes()
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 31)]

    results = await asyncio.gather(*(service.check_code(PHONE, g) for g in guesses), return_exceptions=True)

    assert results.count(False) == 4
    assert all(isinstance(r, LockedOut) for r in results if r is not False)


async def test_success_clears_wrong_tries(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE)
    wrong = f"{(int(provider.codes()[-1]) + 1) % 1_000_000:06d}"
    for _ in range(4):
        await service.check_code(PHONE, wrong)
    assert await service.check_code(PHONE, provider.codes()[-1]) is True

    await service.send_code(PHONE)
    wrong = f"{(int(provider.codes()[-1]) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert await service.check_code(PHONE, wrong) is False
    assert await service.check_code(PHONE, provider.codes()[-1]) is True


async def test_new_code_does_not_reset_wrong_tries(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE)
    for _ in range(4):
        await service.check_code(PHONE, "000000" if provider.codes()[-1] != "000000" else "000001")
    await service.send_code(PHONE)

    with pytest.raises(LockedOut):
        await service.check_code(PHONE, "000000" if provider.codes()[-1] != "000000" else "000001")


async def test_three_codes_per_fifteen_minutes(service: OtpService, provider: FakeSmsServer, clock: FakeClock) -> None:
    for _ in range(3):
        await service.send_code(PHONE)
        clock.advance(MINUTE)

    with pytest.raises(TooManyCodes) as refused:
        await service.send_code(PHONE)
    assert refused.value.retry_after == 12 * MINUTE
    assert len(provider.received) == 3
    await service.send_code(OTHER_PHONE)  # other phones are not affected

    clock.advance(12 * MINUTE)
    await service.send_code(PHONE)
    assert len(provider.received) == 5


async def test_concurrent_sends_never_exceed_the_window_limit(service: OtpService, provider: FakeSmsServer) -> None:
    results = await asyncio.gather(*(service.send_code(PHONE) for _ in range(12)), return_exceptions=True)

    assert results.count(None) == 3
    assert sum(isinstance(r, TooManyCodes) for r in results) == 9
    assert len(provider.received) == 3


async def test_ten_codes_per_day(service: OtpService, provider: FakeSmsServer, clock: FakeClock) -> None:
    start = clock.now
    for _ in range(10):
        await service.send_code(PHONE)
        clock.advance(16 * MINUTE)

    with pytest.raises(TooManyCodes) as refused:
        await service.send_code(PHONE)
    assert refused.value.retry_after == round(start + DAY - clock.now)

    clock.advance(refused.value.retry_after)
    await service.send_code(PHONE)
    assert len(provider.received) == 11


async def test_failed_sms_raises_and_still_counts(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    provider.status = 500
    for _ in range(3):
        with pytest.raises(SmsDeliveryError):
            await service.send_code(PHONE)

    with pytest.raises(TooManyCodes):
        await service.send_code(PHONE)


async def test_verified_state_expires(service: OtpService, clock: FakeClock) -> None:
    assert await service.is_verified(PHONE, KEY) is False
    await service.mark_verified(PHONE, KEY)
    assert await service.is_verified(PHONE, KEY) is True
    assert await service.is_verified(OTHER_PHONE, KEY) is False

    clock.advance(30 * MINUTE)
    assert await service.is_verified(PHONE, KEY) is False

    await service.mark_verified(PHONE, KEY, ttl=2 * MINUTE)
    clock.advance(MINUTE)
    assert await service.is_verified(PHONE, KEY) is True
    clock.advance(MINUTE)
    assert await service.is_verified(PHONE, KEY) is False


async def test_verification_holds_only_for_whoever_vouched_for_it(service: OtpService) -> None:
    await service.mark_verified(PHONE, KEY)

    assert await service.is_verified(PHONE, KEY) is True
    assert await service.is_verified(PHONE, by_api_key(2)) is False
    assert await service.is_verified(PHONE, by_whatsapp("1")) is False


async def test_verified_state_is_gone_from_redis_after_its_ttl(make_service: MakeService) -> None:
    service = make_service(clock=time.time)
    await service.mark_verified(PHONE, KEY, ttl=0.2)
    assert await service.is_verified(PHONE, KEY) is True

    await asyncio.sleep(0.3)

    assert await service.is_verified(PHONE, KEY) is False


def test_short_secret_is_refused(make_service: MakeService) -> None:
    with pytest.raises(ValueError, match="secret"):
        make_service(secret=b"short")


@pytest.mark.parametrize(
    ("registered", "digits", "expected"),
    [
        ("+59170123456", "3456", True),
        ("+591 7012-3456", "3456", True),
        ("+59170123456", "3457", False),
        ("+59170123456", "456", False),
        ("+59170123456", "23456", False),
        ("+59170123456", "34a6", False),
        ("+59170123456", "٣٤٥٦", False),  # non-ASCII digits
        ("+59170123456", " 3456", False),
        ("123", "0123", False),
        ("", "----", False),
    ],
)
def test_last4_matches(registered: str, digits: str, expected: bool) -> None:
    assert last4_matches(registered, digits) is expected
