"""Sending SMS: the port the OTP service needs, an HTTP gateway adapter, and the text that carries a code."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Protocol, Self

import httpx

from gateway import outbound
from gateway.errors import GatewayError
from gateway.resilience import DependencyUnavailable, Guard


class SmsDeliveryError(GatewayError):
    """The SMS provider did not accept a message (down, slow, or refused)."""

    code = "sms_unavailable"


def otp_sms(clinic_name: str, code: str, minutes: int) -> str:
    """The SMS that carries a verification code: who sends it, and not to pass it on to a caller.

    The accents make it UCS-2 (67 characters a segment): with a clinic name of up to 30
    characters (CLINIC_NAME's limit) and a lifetime under 100 minutes it takes two segments.
    """
    return (
        f"{clinic_name}: su código es {code} y vence en {minutes} minutos. "
        "No lo comparta; la clínica nunca se lo pedirá por teléfono."
    )


class SmsSender(Protocol):
    """Anything that can deliver a text message to a phone number."""

    async def send(self, phone: str, text: str) -> None: ...


class HttpSmsSender:
    """An SMS provider with a JSON API: `POST {base_url}/messages {"to", "text"}`, bearer token.

    With a `guard` (the gateway always passes its "sms" guard) a send is retried, with backoff, only when
    the provider cannot have taken the text: no connection was made, or it answered 500 or 503. The API has
    no idempotency key, so after a timeout or a dropped answer the text may have gone out, and sending it
    again would text the patient twice: that is not retried (the patient can ask for a new code); see
    gateway/outbound.py. Failures open the guard's breaker, and while it is open nothing is sent. Without
    a guard, one attempt.

    Pass `client` to share a connection pool (its owner closes it); otherwise this sender owns
    one and `aclose()` (or `async with`) releases it.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        guard: Guard | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + "/messages"
        # A provider on a private network may take no token; an empty one is not sent.
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout
        self._guard = guard
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()

    async def send(self, phone: str, text: str, *, deadline: float | None = None) -> None:
        """Deliver `text` to `phone`; raise SmsDeliveryError unless the provider answers 2xx.

        Every attempt together takes at most `timeout` seconds, and ends by `deadline` (a `time.monotonic()`
        instant) when the caller has one.
        """

        async def attempt(seconds_left: float) -> None:
            body = {"to": phone, "text": text}
            await outbound.post(self._client, self._url, json=body, headers=self._headers, seconds=seconds_left)

        budget = time.monotonic() + self._timeout
        try:
            if self._guard is None:
                await attempt(self._timeout)
            else:
                await self._guard.call(attempt, deadline=budget if deadline is None else min(deadline, budget))
        except outbound.SendFailed as exc:
            raise SmsDeliveryError(f"SMS provider {exc.reason}") from exc
        except DependencyUnavailable as exc:
            failed = outbound.failure_behind(exc)
            if failed is None:
                raise SmsDeliveryError(f"SMS provider not tried: {exc.reason}") from exc
            raise SmsDeliveryError(f"SMS provider {failed.reason} ({outbound.guard_note(exc)})") from exc

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
