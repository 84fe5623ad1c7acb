"""Meta's side of the WhatsApp Cloud API webhook: signed deliveries shaped like the ones Meta posts.

Payload shapes follow Meta's webhook reference (../shared/notes/whatsapp-cloud-api.md): an envelope of
entries and changes whose `value` holds `messages` or `statuses`; `from` is E.164 without the `+`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import httpx

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "59122001122"
_counter = itertools.count(1)


def new_wamid() -> str:
    """A fresh message id in Meta's format (`wamid.` and base64)."""
    return f"wamid.HBgLNTkxNzAwMDAwMDEVAgASGBQzRTJF{next(_counter):08d}{time.monotonic_ns() % 10**8:08d}AA=="


def sign(body: bytes, secret: str) -> str:
    """`X-Hub-Signature-256` as Meta computes it: HMAC-SHA256 of the raw bytes with the app secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message(wa_id: str, kind: str, content: dict[str, Any], *, wamid: str | None = None) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: content,
    }


def text(wa_id: str, body: str, *, wamid: str | None = None) -> dict[str, Any]:
    return message(wa_id, "text", {"body": body}, wamid=wamid)


def button_reply(wa_id: str, option_id: str, title: str) -> dict[str, Any]:
    """The patient tapped one of our reply buttons."""
    tapped = message(wa_id, "interactive", {"type": "button_reply", "button_reply": {"id": option_id, "title": title}})
    tapped["context"] = {"from": DISPLAY_NUMBER, "id": "wamid.fake-out-1"}
    return tapped


def list_reply(wa_id: str, option_id: str, title: str) -> dict[str, Any]:
    """The patient picked a row of one of our lists."""
    picked = message(wa_id, "interactive", {"type": "list_reply", "list_reply": {"id": option_id, "title": title}})
    picked["context"] = {"from": DISPLAY_NUMBER, "id": "wamid.fake-out-1"}
    return picked


def template_button(wa_id: str, payload: str, label: str) -> dict[str, Any]:
    """A quick-reply button of a template message (type `button`, not `interactive`)."""
    return message(wa_id, "button", {"payload": payload, "text": label})


def image(wa_id: str, *, wamid: str | None = None) -> dict[str, Any]:
    content = {"mime_type": "image/jpeg", "sha256": "3q2+7w==", "id": "1484902938712345"}
    return message(wa_id, "image", content, wamid=wamid)


def status(wa_id: str, state: str = "delivered") -> dict[str, Any]:
    return {"id": new_wamid(), "status": state, "timestamp": str(int(time.time())), "recipient_id": wa_id}


def delivery(
    *messages: dict[str, Any], statuses: tuple[dict[str, Any], ...] = (), name: str = "María Quispe"
) -> dict[str, Any]:
    """Meta's envelope around messages (each from its own `from`) or status callbacks."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": m["from"]} for m in messages]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    entry = {"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}
    return {"object": "whatsapp_business_account", "entry": [entry]}


def encode(payload: dict[str, Any]) -> bytes:
    """Bytes as Meta might send them: UTF-8 (not \\u escapes) and spaced, so only the raw bytes verify."""
    return json.dumps(payload, ensure_ascii=False, indent=1).encode()


class Meta:
    """Posts to a webhook URL as Meta does (or as an impostor would, with `secret`/`signature` overridden)."""

    def __init__(self, url: str, app_secret: str) -> None:
        self.url = url
        self.app_secret = app_secret

    def post(self, body: bytes, *, signature: str | None = None, signed: bool = True) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub-Signature-256"] = signature if signature is not None else sign(body, self.app_secret)
        return httpx.post(self.url, content=body, headers=headers, timeout=30)

    def deliver(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(encode(payload))

    def handshake(self, *, mode: str = "subscribe", token: str, challenge: str = "1158201444") -> httpx.Response:
        params = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}
        return httpx.get(self.url, params=params, timeout=30)
