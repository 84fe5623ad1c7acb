"""Sending through the WhatsApp Cloud API (Graph API): texts, reply buttons and lists.

`reply_messages` turns a reply and its options into the messages to send, within WhatsApp's limits;
`GraphClient` posts them to `{base}/{version}/{phone_number_id}/messages` with the bearer token.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from gateway import outbound
from gateway.conversation.reply import Option
from gateway.resilience import DependencyUnavailable, Guard

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
MAX_LIST_ROWS = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
OPTION_ID_MAX = 200  # list rows allow 200, buttons 256
LIST_BUTTON_TEXT = "Ver opciones"
LIST_SECTION_TITLE = "Opciones"
# The body of the buttons or list when the reply itself was too long to carry them and went first as text.
CHOOSE_PROMPT = "Elija una opción:"

OutboundMessage = dict[str, Any]


class WhatsAppSendError(Exception):
    """The Graph API did not accept a message (unreachable, slow, or refused), or it was not tried.

    `status`: the Graph API's HTTP status, when it answered. `maybe_delivered`: the request went out and
    its answer was lost (a timeout, a dropped connection, a 502/504): the patient may have the message, and
    sending it again may deliver it twice. `retry_later`: nothing was delivered and a later try may work
    (the breaker was open, the API unreachable, a 5xx after every attempt, or 429); False for a request
    the API refuses (another 4xx: a bad token or number) and whenever `maybe_delivered`.
    """

    def __init__(
        self, message: str, *, status: int | None = None, maybe_delivered: bool = False, retry_later: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.maybe_delivered = maybe_delivered
        self.retry_later = retry_later


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word boundary when there is one."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_message(to: str, body: str) -> OutboundMessage:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }


def _interactive(to: str, interactive: dict[str, Any]) -> OutboundMessage:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": interactive,
    }


def buttons_message(to: str, body: str, options: Sequence[Option]) -> OutboundMessage:
    """Up to 3 reply buttons; tapping one sends its id back as a `button_reply`."""
    buttons = [
        {"type": "reply", "reply": {"id": o.id[:OPTION_ID_MAX], "title": _clip(o.title, BUTTON_TITLE_MAX)}}
        for o in options[:MAX_BUTTONS]
    ]
    return _interactive(to, {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}})


def list_message(to: str, body: str, options: Sequence[Option]) -> OutboundMessage:
    """A list of up to 10 rows behind a "Ver opciones" button; a tapped row comes back as a `list_reply`."""
    rows: list[dict[str, str]] = []
    for option in options[:MAX_LIST_ROWS]:
        row = {"id": option.id[:OPTION_ID_MAX], "title": _clip(option.title, ROW_TITLE_MAX)}
        if option.description:
            row["description"] = _clip(option.description, ROW_DESCRIPTION_MAX)
        rows.append(row)
    action = {"button": LIST_BUTTON_TEXT, "sections": [{"title": LIST_SECTION_TITLE, "rows": rows}]}
    return _interactive(to, {"type": "list", "body": {"text": body}, "action": action})


def reply_messages(to: str, text: str, options: Sequence[Option] = ()) -> list[OutboundMessage]:
    """The messages that carry one reply: buttons for 1–3 options, a list for 4–10, else plain text.

    A reply too long for an interactive body goes first as text, then the choices under a short prompt.
    """
    if not options or len(options) > MAX_LIST_ROWS:
        return [text_message(to, piece) for piece in split_text(text)]
    build = buttons_message if len(options) <= MAX_BUTTONS else list_message
    if 0 < len(text.strip()) <= INTERACTIVE_BODY_MAX:
        return [build(to, text.strip(), options)]
    return [*(text_message(to, piece) for piece in split_text(text)), build(to, CHOOSE_PROMPT, options)]


class GraphClient:
    """Sends messages from our business numbers.

    With a `guard` (the gateway passes its "whatsapp" guard) a send is retried, with backoff, only when
    the Graph API cannot have taken the message: no connection was made, or it answered 500 or 503. The
    Graph API has no idempotency key, so a send whose answer was lost (timeout, dropped connection,
    502/504) is not retried here: it raises WhatsAppSendError with `maybe_delivered`, and whoever keeps
    the message (the outbox) decides. Failures open the guard's breaker, and while it is open nothing is
    sent. Without a guard, one attempt.

    Pass `client` to share a connection pool (its owner closes it); otherwise this client owns one
    and `aclose()` releases it.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        access_token: str,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        guard: Guard | None = None,
    ) -> None:
        self._base = f"{base_url.rstrip('/')}/{api_version}"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = timeout
        self._guard = guard
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()

    async def send(
        self, phone_number_id: str, message: OutboundMessage, *, deadline: float | None = None
    ) -> str | None:
        """Send one message; the new message's wamid. Raises WhatsAppSendError unless the API answers 2xx.

        Every attempt together takes at most `timeout` seconds, and ends by `deadline` (a `time.monotonic()`
        instant) when the caller has one.
        """
        url = f"{self._base}/{phone_number_id}/messages"

        async def attempt(seconds_left: float) -> httpx.Response:
            return await outbound.post(self._client, url, json=message, headers=self._headers, seconds=seconds_left)

        budget = time.monotonic() + self._timeout
        try:
            if self._guard is None:
                response = await attempt(self._timeout)
            else:
                response = await self._guard.call(
                    attempt, deadline=budget if deadline is None else min(deadline, budget)
                )
        except outbound.SendFailed as exc:
            raise _send_error(exc) from exc
        except DependencyUnavailable as exc:
            failed = outbound.failure_behind(exc)
            if failed is None:
                raise WhatsAppSendError(f"Graph API not tried: {exc.reason}", retry_later=True) from exc
            raise _send_error(failed, f" ({outbound.guard_note(exc)})") from exc
        try:
            sent: str = response.json()["messages"][0]["id"]
        except (ValueError, LookupError, TypeError):
            return None
        return sent

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _send_error(failed: outbound.SendFailed, note: str = "") -> WhatsAppSendError:
    text = f"Graph API {failed.reason}{note}" + (f": {failed.body}" if failed.body else "")
    retry_later = not failed.maybe_delivered and (failed.provider_fault or failed.status == 429)
    return WhatsAppSendError(
        text, status=failed.status, maybe_delivered=failed.maybe_delivered, retry_later=retry_later
    )
