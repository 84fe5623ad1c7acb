"""OtpService against a real Redis and a real local SMS server."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as redis

from gateway.metrics import SMS_SEND_OUTCOMES
from gateway.verification.errors import LockedOut, NoActiveCode, NotTextable, SmsBudgetExhausted, TooManyCodes
from gateway.verification.otp import OtpService, SendOutcome, Standing, last4_matches
from gateway.verification.sms import HttpSmsSender, SmsDeliveryError
from gateway.verification.vouching import by_api_key, by_whatsapp
from tests.gateway.verification.fake_sms import FakeSmsServer, fake_sms_server

PHONE = "+59170123456"
OTHER_PHONE = "+59177654321"
SECRET = b"test-secret-of-32-bytes-at-least"
KEY = by_api_key(1)
MINUTE = 60
DAY = 24 * 60 * MINUTE
LA_PAZ = ZoneInfo("America/La_Paz")

MakeService = Callable[..., OtpService]


class FakeClock:
    """Time that moves only when told; starts at the real time so Redis TTLs stay sensible."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))  # a whole second: lock times are rounded up to seconds

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
    await service.send_code(PHONE, KEY)

    [received] = provider.received
    [code] = provider.codes()
    assert received.body == {
        "to": PHONE,
        "text": f"Clínica: su código es {code} y vence en 5 minutos. "
        "No lo comparta; la clínica nunca se lo pedirá por teléfono.",
    }
    assert await service.check_code(PHONE, code) is True
    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, code)


async def test_wrong_code_is_refused_and_the_right_one_still_works(
    service: OtpService, provider: FakeSmsServer
) -> None:
    await service.send_code(PHONE, KEY)
    [code] = provider.codes()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert await service.check_code(PHONE, wrong) is False
    assert await service.check_code(PHONE, code) is True


async def test_code_is_bound_to_its_phone(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE, KEY)
    await service.send_code(OTHER_PHONE, KEY)
    code, other_code = provider.codes()

    assert code == other_code or await service.check_code(OTHER_PHONE, code) is False
    assert await service.check_code(PHONE, code) is True


async def test_checking_with_no_code_sent_is_no_active_code(service: OtpService) -> None:
    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, "123456")


async def test_new_code_replaces_the_previous_one(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    await service.send_code(PHONE, KEY)
    await service.send_code(PHONE, KEY)
    first, second = provider.codes()

    assert first == second or await service.check_code(PHONE, first) is False
    assert await service.check_code(PHONE, second) is True


async def test_redis_holds_no_plaintext_code_or_phone(
    service: OtpService, provider: FakeSmsServer, redis_client: redis.Redis, prefix: str
) -> None:
    await service.send_code(PHONE, KEY)
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
    await service.send_code(PHONE, KEY)
    [code] = provider.codes()

    clock.advance(5 * MINUTE)

    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, code)


async def test_expired_code_is_gone_from_redis(
    make_service: MakeService, provider: FakeSmsServer, redis_client: redis.Redis, prefix: str
) -> None:
    service = make_service(clock=time.time, code_ttl=0.2)
    await service.send_code(PHONE, KEY)
    [code] = provider.codes()

    await asyncio.sleep(0.3)

    assert [key async for key in redis_client.scan_iter(match=f"{prefix}:*:code")] == []
    with pytest.raises(NoActiveCode):
        await service.check_code(PHONE, code)


async def test_five_wrong_tries_lock_out_even_the_right_code(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    await service.send_code(PHONE, KEY)
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
        await service.send_code(PHONE, KEY)
    assert len(provider.received) == 1

    clock.advance(5 * MINUTE)
    with pytest.raises(NoActiveCode):  # the lockout voided the old code
        await service.check_code(PHONE, code)
    await service.send_code(PHONE, KEY)
    assert await service.check_code(PHONE, provider.codes()[-1]) is True


async def test_lockout_is_per_phone(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE, KEY)
    await service.send_code(OTHER_PHONE, KEY)
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
    await service.send_code(PHONE, KEY)
    [code] = provider.codes()
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 31)]

    results = await asyncio.gather(*(service.check_code(PHONE, g) for g in guesses), return_exceptions=True)

    assert results.count(False) == 4
    assert all(isinstance(r, LockedOut) for r in results if r is not False)


async def test_success_clears_wrong_tries(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE, KEY)
    wrong = f"{(int(provider.codes()[-1]) + 1) % 1_000_000:06d}"
    for _ in range(4):
        await service.check_code(PHONE, wrong)
    assert await service.check_code(PHONE, provider.codes()[-1]) is True

    await service.send_code(PHONE, KEY)
    wrong = f"{(int(provider.codes()[-1]) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert await service.check_code(PHONE, wrong) is False
    assert await service.check_code(PHONE, provider.codes()[-1]) is True


async def test_new_code_does_not_reset_wrong_tries(service: OtpService, provider: FakeSmsServer) -> None:
    await service.send_code(PHONE, KEY)
    for _ in range(4):
        await service.check_code(PHONE, "000000" if provider.codes()[-1] != "000000" else "000001")
    await service.send_code(PHONE, KEY)

    with pytest.raises(LockedOut):
        await service.check_code(PHONE, "000000" if provider.codes()[-1] != "000000" else "000001")


async def test_three_codes_per_fifteen_minutes(service: OtpService, provider: FakeSmsServer, clock: FakeClock) -> None:
    for _ in range(3):
        await service.send_code(PHONE, KEY)
        clock.advance(MINUTE)

    with pytest.raises(TooManyCodes) as refused:
        await service.send_code(PHONE, KEY)
    assert refused.value.retry_after == 12 * MINUTE
    assert len(provider.received) == 3
    await service.send_code(OTHER_PHONE, KEY)  # other phones are not affected

    clock.advance(12 * MINUTE)
    await service.send_code(PHONE, KEY)
    assert len(provider.received) == 5


async def test_concurrent_sends_never_exceed_the_window_limit(service: OtpService, provider: FakeSmsServer) -> None:
    results = await asyncio.gather(*(service.send_code(PHONE, KEY) for _ in range(12)), return_exceptions=True)

    assert results.count(None) == 3
    assert sum(isinstance(r, TooManyCodes) for r in results) == 9
    assert len(provider.received) == 3


async def test_ten_codes_per_day(service: OtpService, provider: FakeSmsServer, clock: FakeClock) -> None:
    start = clock.now
    for _ in range(10):
        await service.send_code(PHONE, KEY)
        clock.advance(16 * MINUTE)

    with pytest.raises(TooManyCodes) as refused:
        await service.send_code(PHONE, KEY)
    assert refused.value.retry_after == round(start + DAY - clock.now)

    clock.advance(refused.value.retry_after)
    await service.send_code(PHONE, KEY)
    assert len(provider.received) == 11


async def test_failed_sms_raises_and_still_counts(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    provider.status = 500
    for _ in range(3):
        with pytest.raises(SmsDeliveryError):
            await service.send_code(PHONE, KEY)

    with pytest.raises(TooManyCodes):
        await service.send_code(PHONE, KEY)


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


async def test_standing_tells_the_lock_and_the_verification_as_their_own_checks_do(
    service: OtpService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    assert await service.standing(PHONE, KEY) == Standing(locked=False, verified=False)
    await service.mark_verified(PHONE, KEY)
    assert await service.standing(PHONE, KEY) == Standing(locked=False, verified=True)
    assert await service.standing(PHONE, by_api_key(2)) == Standing(locked=False, verified=False)

    await service.send_code(PHONE, KEY)
    wrong = f"{(int(provider.codes()[-1]) + 1) % 1_000_000:06d}"
    for _ in range(4):
        await service.check_code(PHONE, wrong)
    with pytest.raises(LockedOut):
        await service.check_code(PHONE, wrong)
    assert await service.standing(PHONE, KEY) == Standing(locked=True, verified=True)
    assert await service.standing(OTHER_PHONE, KEY) == Standing(locked=False, verified=False)

    clock.advance(30 * MINUTE)
    assert await service.standing(PHONE, KEY) == Standing(locked=False, verified=False)
    assert await service.is_locked(PHONE) is False


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


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _at_local(clock: FakeClock, hour: int, minute: int = 0) -> datetime:
    """Move `clock` to the next `hour:minute` in La Paz; returns that moment."""
    local = datetime.fromtimestamp(clock.now, LA_PAZ)
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= local:
        moment += timedelta(days=1)
    clock.now = moment.timestamp()
    return moment


def _seconds_to_midnight(clock: FakeClock) -> int:
    local = datetime.fromtimestamp(clock.now, LA_PAZ)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=LA_PAZ)
    return round(midnight.timestamp() - clock.now)


async def test_sms_names_the_clinic_and_asks_not_to_share_the_code(
    make_service: MakeService, provider: FakeSmsServer
) -> None:
    service = make_service(clinic_name="Clínica San Gabriel")
    await service.send_code(PHONE, KEY)

    [code] = provider.codes()
    [text] = [r.body["text"] for r in provider.received]
    assert text.startswith("Clínica San Gabriel: ")
    assert f" {code} " in text and "No lo comparta" in text
    # Accents make it UCS-2: two segments of 67 characters at most, with the longest clinic name allowed.
    assert len(text.replace("Clínica San Gabriel", "x" * 30)) <= 134


@pytest.mark.parametrize(
    "phone",
    [
        "+12692345678",  # United States (Michigan): another country
        "+19002345678",  # a premium-rate number
        "+2693212345",  # Comoros
        "+59122123456",  # a Bolivian fixed line: no SMS reaches it
        "+5917012345",  # too short for Bolivia
        "59170123456",  # not E.164
    ],
)
async def test_phones_outside_the_clinics_countries_are_never_texted_or_counted(
    service: OtpService, provider: FakeSmsServer, redis_client: redis.Redis, prefix: str, phone: str
) -> None:
    assert service.may_text(phone) is False
    with pytest.raises(NotTextable):
        await service.send_code(phone, KEY)

    assert provider.received == []
    assert [key async for key in redis_client.scan_iter(match=f"{prefix}:*")] == []


async def test_allowed_countries_are_read_from_the_numbering_plan(
    make_service: MakeService, provider: FakeSmsServer
) -> None:
    service = make_service(allowed_country_codes={1})

    await service.send_code("+12692345678", KEY)
    with pytest.raises(NotTextable):
        await service.send_code("+19002345678", KEY)  # +1, but premium rate
    with pytest.raises(NotTextable):
        await service.send_code(PHONE, KEY)  # Bolivia is not allowed here
    assert [r.body["to"] for r in provider.received] == ["+12692345678"]


async def test_each_sender_has_a_daily_budget(make_service: MakeService, provider: FakeSmsServer) -> None:
    service = make_service(budget_per_key=3)
    for i in range(3):
        await service.send_code(f"+5917000010{i}", KEY)

    with pytest.raises(SmsBudgetExhausted) as refused:
        await service.send_code("+59170000109", KEY)
    assert refused.value.scope == "key"
    await service.send_code("+59170000109", by_api_key(2))  # another sender has its own budget
    await service.send_code("+59170000108", by_whatsapp("1"))
    assert len(provider.received) == 5


async def test_the_clinic_has_a_daily_budget_across_senders(make_service: MakeService, provider: FakeSmsServer) -> None:
    service = make_service(budget_total=3)
    for i in range(3):
        await service.send_code(f"+5917000010{i}", by_api_key(10 + i))

    with pytest.raises(SmsBudgetExhausted) as refused:
        await service.send_code("+59170000109", by_api_key(20))
    assert refused.value.scope == "total"
    assert len(provider.received) == 3


async def test_a_send_refused_by_a_budget_consumes_nothing(make_service: MakeService, provider: FakeSmsServer) -> None:
    service = make_service(budget_per_key=1, budget_total=4)
    await service.send_code(PHONE, KEY)
    for _ in range(5):
        with pytest.raises(SmsBudgetExhausted):
            await service.send_code(OTHER_PHONE, KEY)

    # Neither the phone's own limits nor the clinic's budget were charged for the refusals.
    for n in range(3):
        await service.send_code(OTHER_PHONE, by_api_key(2 + n))
    assert len(provider.received) == 4
    with pytest.raises(SmsBudgetExhausted):
        await service.send_code("+59170000109", by_api_key(9))


async def test_concurrent_sends_never_exceed_the_budget(make_service: MakeService, provider: FakeSmsServer) -> None:
    service = make_service(budget_per_key=5)

    results = await asyncio.gather(
        *(service.send_code(f"+591700001{i:02d}", KEY) for i in range(20)), return_exceptions=True
    )

    assert results.count(None) == 5
    assert sum(isinstance(r, SmsBudgetExhausted) for r in results) == 15
    assert len(provider.received) == 5


async def test_budgets_renew_at_the_clinics_midnight(
    make_service: MakeService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    service = make_service(budget_per_key=1, tz=LA_PAZ)
    _at_local(clock, 23, 50)
    await service.send_code(PHONE, KEY)
    with pytest.raises(SmsBudgetExhausted) as refused:
        await service.send_code(OTHER_PHONE, KEY)
    assert refused.value.retry_after == 10 * MINUTE

    clock.advance(10 * MINUTE)
    await service.send_code(OTHER_PHONE, KEY)
    assert len(provider.received) == 2


async def test_each_send_attempt_reports_its_outcome(make_service: MakeService, provider: FakeSmsServer) -> None:
    outcomes: list[str] = []
    service = make_service(budget_per_key=4, on_send=outcomes.append)

    for _ in range(4):
        with contextlib.suppress(TooManyCodes):
            await service.send_code(PHONE, KEY)
    with contextlib.suppress(NotTextable):
        await service.send_code("+19002345678", KEY)
    provider.status = 500
    with contextlib.suppress(SmsDeliveryError):
        await service.send_code(OTHER_PHONE, KEY)
    with contextlib.suppress(SmsBudgetExhausted):
        await service.send_code("+59170000109", KEY)

    assert outcomes == ["sent", "sent", "sent", "limited_phone", "country_refused", "error", "limited_key"]


def test_every_send_outcome_has_a_metric_series_from_the_start() -> None:
    assert set(get_args(SendOutcome)) == set(SMS_SEND_OUTCOMES)


async def _guess_until_locked(service: OtpService, provider: FakeSmsServer) -> tuple[int, LockedOut]:
    """Send a code and enter wrong ones until locked out: (wrong answers given, the lockout)."""
    await service.send_code(PHONE, KEY)
    wrong = _wrong(provider.codes()[-1])
    refused = 0
    while True:
        try:
            assert await service.check_code(PHONE, wrong) is False
        except LockedOut as exc:
            return refused + 1, exc
        refused += 1


async def test_ten_wrong_codes_a_day_lock_the_phone_until_the_clinics_midnight(
    make_service: MakeService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    service = make_service(tz=LA_PAZ, sends_per_day=50)
    _at_local(clock, 8)

    guesses, first = await _guess_until_locked(service, provider)
    assert (guesses, first.retry_after, first.for_the_day) == (5, 15 * MINUTE, False)
    clock.advance(15 * MINUTE)
    guesses, second = await _guess_until_locked(service, provider)
    assert (guesses, second.for_the_day) == (5, True)
    assert second.retry_after == _seconds_to_midnight(clock) == 16 * 3600 - 15 * MINUTE

    # The 15-minute windows pass; the phone stays locked for sends and checks until midnight.
    for _ in range(7):
        clock.advance(2 * 3600)
        with pytest.raises(LockedOut) as later:
            await service.send_code(PHONE, KEY)
        assert later.value.retry_after == _seconds_to_midnight(clock) and later.value.for_the_day
    assert len(provider.received) == 2

    clock.advance(_seconds_to_midnight(clock))
    await service.send_code(PHONE, KEY)
    assert await service.check_code(PHONE, provider.codes()[-1]) is True


@pytest.mark.parametrize(("hours_later", "locked_for_the_day"), [(12, True), (25, False)])
async def test_wrong_codes_are_counted_over_the_last_24_hours(
    make_service: MakeService, provider: FakeSmsServer, clock: FakeClock, hours_later: int, locked_for_the_day: bool
) -> None:
    service = make_service(tz=LA_PAZ, sends_per_day=50)
    _at_local(clock, 20)
    await _guess_until_locked(service, provider)

    clock.advance(hours_later * 3600)  # past the clinic's midnight, within 24 h or not
    guesses, lock = await _guess_until_locked(service, provider)

    assert (guesses, lock.for_the_day) == (5, locked_for_the_day)


async def test_a_right_code_clears_the_days_wrong_ones(
    make_service: MakeService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    service = make_service(tz=LA_PAZ, sends_per_day=50)
    _at_local(clock, 8)
    await _guess_until_locked(service, provider)
    clock.advance(15 * MINUTE)
    await service.send_code(PHONE, KEY)
    for _ in range(4):
        assert await service.check_code(PHONE, _wrong(provider.codes()[-1])) is False
    assert await service.check_code(PHONE, provider.codes()[-1]) is True

    guesses, lock = await _guess_until_locked(service, provider)
    assert (guesses, lock.for_the_day) == (5, False)


async def test_unlock_lifts_the_days_lock_and_forgets_the_counts(
    make_service: MakeService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    service = make_service(tz=LA_PAZ, max_failures_per_day=5, max_attempts=5)
    _at_local(clock, 8)
    _, lock = await _guess_until_locked(service, provider)
    assert lock.for_the_day

    assert await service.unlock(PHONE) is True
    assert await service.unlock(PHONE) is False
    for _ in range(3):  # the phone's sends were forgotten too
        await service.send_code(PHONE, KEY)
    for _ in range(4):
        assert await service.check_code(PHONE, _wrong(provider.codes()[-1])) is False
    assert await service.check_code(PHONE, provider.codes()[-1]) is True


async def test_concurrent_guesses_never_pass_the_days_limit(
    make_service: MakeService, provider: FakeSmsServer, clock: FakeClock
) -> None:
    service = make_service(tz=LA_PAZ, max_attempts=50, max_failures_per_day=10)
    _at_local(clock, 8)
    await service.send_code(PHONE, KEY)
    [code] = provider.codes()
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 41)]

    results = await asyncio.gather(*(service.check_code(PHONE, g) for g in guesses), return_exceptions=True)

    assert results.count(False) == 9
    assert all(isinstance(r, LockedOut) and r.for_the_day for r in results if r is not False)


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
