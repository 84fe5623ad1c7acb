"""What verification refuses: too many codes, a lockout, no code waiting, a phone codes are not sent to, the day's
SMS budget spent, or its store not answering. Plain domain errors; gateway/api/errors.py gives them their status."""

from __future__ import annotations

from typing import Literal

from gateway.errors import GatewayError


class TooManyCodes(GatewayError):
    """This phone asked for too many codes; `retry_after` seconds until the next one may be sent."""

    code = "too_many_codes"
    retry_after: int

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many codes requested; retry in {retry_after} s", retry_after=retry_after)


class LockedOut(GatewayError):
    """Too many wrong codes; no sends or checks for `retry_after` seconds.

    `for_the_day`: the phone used up its wrong codes for 24 h and stays locked until the clinic's
    midnight, unless staff unlock it.
    """

    code = "verification_locked"
    retry_after: int

    def __init__(self, retry_after: int, *, for_the_day: bool = False) -> None:
        super().__init__(f"Verification locked; retry in {retry_after} s", retry_after=retry_after)
        self.for_the_day = for_the_day


class NoActiveCode(GatewayError):
    """No code is waiting for this phone: never sent, expired, already used, or voided by a lockout."""

    code = "no_active_code"

    def __init__(self) -> None:
        super().__init__("No active verification code; request a new one")


class NotTextable(GatewayError):
    """The phone is not one codes are sent to: another country, not a valid number, or not a mobile line."""

    code = "phone_not_textable"

    def __init__(self) -> None:
        super().__init__("Verification codes are sent only to mobile numbers of the clinic's countries")


class SmsBudgetExhausted(GatewayError):
    """Today's SMS budget is spent: the sender's (`scope` "key") or the whole clinic's ("total")."""

    code = "sms_budget_exhausted"
    retry_after: int

    def __init__(self, scope: Literal["key", "total"], retry_after: int) -> None:
        super().__init__("No more verification codes can be sent today", retry_after=retry_after)
        self.scope = scope
        self.retry_after = retry_after


class VerificationUnavailable(GatewayError):
    """The verification store (Redis) did not answer; nothing was changed."""

    code = "verification_unavailable"
