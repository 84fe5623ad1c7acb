"""How a notification leaves: one interface, the WhatsApp Cloud API or an n8n webhook, chosen by setting."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from gateway import outbound
from gateway.whatsapp.client import GraphClient, WhatsAppSendError
from notifications.settings import NotificationSettings


class SendError(Exception):
    """A message was not accepted. `retryable`: a later try may work. `maybe_delivered`: the request went out and
    its answer was lost, so the patient may have it."""

    def __init__(self, reason: str, *, retryable: bool, maybe_delivered: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.maybe_delivered = maybe_delivered


class Sender(Protocol):
    """Sends one Graph API request body; the sent message's wamid when the answer names it."""

    async def send(self, message: dict[str, Any]) -> str | None: ...

    async def aclose(self) -> None: ...


class WhatsAppSender:
    """Straight to the Cloud API, from the clinic's business number."""

    def __init__(self, graph: GraphClient, phone_number_id: str) -> None:
        self._graph = graph
        self._phone_number_id = phone_number_id

    async def send(self, message: dict[str, Any]) -> str | None:
        try:
            return await self._graph.send(self._phone_number_id, message)
        except WhatsAppSendError as exc:
            raise SendError(
                str(exc), retryable=exc.retry_later or exc.maybe_delivered, maybe_delivered=exc.maybe_delivered
            ) from exc

    async def aclose(self) -> None:
        await self._graph.aclose()


class N8nSender:
    """POSTs the same request body to an n8n webhook, whose workflow sends it through the Graph API; `token` goes as
    a bearer token, which the workflow checks (deploy/n8n/notifications.json)."""

    def __init__(
        self, url: str, *, timeout: float, token: str | None = None, client: httpx.AsyncClient | None = None
    ) -> None:
        self._url = url
        self._timeout = timeout
        self._headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()

    async def send(self, message: dict[str, Any]) -> str | None:
        try:
            response = await outbound.post(
                self._client, self._url, json=message, headers=self._headers, seconds=self._timeout
            )
        except outbound.SendFailed as exc:
            retryable = exc.provider_fault or exc.status == 429 or exc.maybe_delivered
            raise SendError(
                f"n8n {exc.reason}",
                retryable=retryable,
                maybe_delivered=exc.maybe_delivered,
            ) from exc
        try:
            wamid: str = response.json()["messages"][0]["id"]
        except (ValueError, LookupError, TypeError):
            return None
        return wamid

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def sender_from(settings: NotificationSettings) -> Sender:
    """The sender the settings choose (they were checked to be complete for it)."""
    if settings.notifications_sender == "n8n":
        assert settings.n8n_notifications_webhook_url is not None and settings.n8n_notifications_token is not None
        return N8nSender(
            settings.n8n_notifications_webhook_url,
            timeout=settings.whatsapp_timeout_seconds,
            token=settings.n8n_notifications_token.get_secret_value(),
        )
    assert settings.whatsapp_access_token is not None and settings.whatsapp_phone_number_id is not None
    graph = GraphClient(
        base_url=settings.whatsapp_graph_base_url,
        api_version=settings.whatsapp_api_version,
        access_token=settings.whatsapp_access_token.get_secret_value(),
        timeout=settings.whatsapp_timeout_seconds,
    )
    return WhatsAppSender(graph, settings.whatsapp_phone_number_id)
