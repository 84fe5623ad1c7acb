"""Sending SMS: the port the OTP service needs, and an HTTP gateway adapter."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

import httpx

from gateway.errors import GatewayError


class SmsDeliveryError(GatewayError):
    """The SMS provider did not accept a message (down, slow, or refused)."""

    status_code = 503
    code = "sms_unavailable"


class SmsSender(Protocol):
    """Anything that can deliver a text message to a phone number."""

    async def send(self, phone: str, text: str) -> None: ...


class HttpSmsSender:
    """An SMS provider with a JSON API: `POST {base_url}/messages {"to", "text"}`, bearer token.

    Pass `client` to share a connection pool (its owner closes it); otherwise this sender owns
    one and `aclose()` (or `async with`) releases it.
    """

    def __init__(
        self, *, base_url: str, token: str, timeout: float = 10.0, client: httpx.AsyncClient | None = None
    ) -> None:
        self._url = base_url.rstrip("/") + "/messages"
        # A provider on a private network may take no token; an empty one is not sent.
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()

    async def send(self, phone: str, text: str) -> None:
        """Deliver `text` to `phone`; raise SmsDeliveryError unless the provider answers 2xx."""
        try:
            response = await self._client.post(
                self._url, json={"to": phone, "text": text}, headers=self._headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(f"SMS provider unreachable: {type(exc).__name__}") from exc
        if not response.is_success:
            raise SmsDeliveryError(f"SMS provider answered {response.status_code}")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
