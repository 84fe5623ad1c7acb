"""A real stand-in for the WhatsApp Cloud API (Graph API): an HTTP server on 127.0.0.1 recording what it is sent."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from gateway.whatsapp.signature import sign
from tests.gateway.verification.fake_sms import serving


@dataclass(frozen=True)
class Sent:
    """One message the Graph API was asked to send."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    # What the fake answered it: 2xx means the Graph API took the message (the patient gets it).
    status: int = 200

    @property
    def to(self) -> str:
        return str(self.body.get("to", ""))

    @property
    def text(self) -> str:
        """What the patient reads: a text's body, or an interactive message's body."""
        if self.body.get("type") == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        return str(self.body.get("text", {}).get("body", ""))


@dataclass
class FakeGraphApi:
    """What the Graph API received; `status` shapes its next answers.

    `statuses` and `delays` script the next requests, one entry each (then `status` and no delay): a delay holds
    the answer after the message was taken, as a Graph API that accepted it but answers too late.
    """

    url: str = ""
    status: int = 200
    # Like Meta (once `app_secret` is set): after taking a message, post its `sent` status callback to this webhook,
    # signed with `app_secret`, retrying until it is answered 200 (the URL may be set later, e.g. once a gateway
    # restarted).
    callback_to: str | None = None
    app_secret: str = ""
    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    received: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sent_to(self, wa_id: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.received if s.to == wa_id]

    def delivered_to(self, wa_id: str) -> list[Sent]:
        """What the patient got: the messages the fake took (answered 2xx, or took and answered late)."""
        return [s for s in self.sent_to(wa_id) if s.status < 400]

    def wait_for(self, count: int, wa_id: str, timeout: float = 30) -> list[Sent]:
        """Block until `count` messages were sent to `wa_id`; fail with what arrived otherwise."""
        deadline = time.monotonic() + timeout
        while len(sent := self.sent_to(wa_id)) < count:
            assert time.monotonic() < deadline, f"expected {count} messages to {wa_id}, got {sent}"
            time.sleep(0.05)
        return sent

    async def await_for(self, count: int, wa_id: str, within: float = 30) -> list[Sent]:
        """`wait_for` for tests whose gateway runs on the same event loop."""
        deadline = time.monotonic() + within
        while len(sent := self.sent_to(wa_id)) < count:
            assert time.monotonic() < deadline, f"expected {count} messages to {wa_id}, got {sent}"
            await asyncio.sleep(0.05)
        return sent


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        fake = self.server.fake
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with fake._lock:
            status = fake.statuses.pop(0) if fake.statuses else fake.status
            delay = fake.delays.pop(0) if fake.delays else 0.0
            sent = Sent(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
            fake.received.append(sent)
            number = len(fake.received)
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": sent.to, "wa_id": sent.to}],
            "messages": [{"id": f"wamid.fake-out-{number}"}],
        }
        if status >= 400:
            answer = {"error": {"message": "fake failure", "type": "OAuthException", "code": 131000}}
        payload = json.dumps(answer).encode()
        if status < 400 and fake.app_secret:
            threading.Thread(target=_report_sent, args=(fake, sent, f"wamid.fake-out-{number}"), daemon=True).start()
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the sender gave up waiting (or died): the message was taken all the same

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _report_sent(fake: FakeGraphApi, sent: Sent, out_wamid: str, within: float = 60) -> None:
    """Meta's `sent` status callback for a message it took, echoing its `biz_opaque_callback_data`."""
    phone_number_id = sent.path.strip("/").split("/")[1]
    status: dict[str, Any] = {
        "id": out_wamid,
        "status": "sent",
        "timestamp": str(int(time.time())),
        "recipient_id": sent.to,
    }
    if "biz_opaque_callback_data" in sent.body:
        status["biz_opaque_callback_data"] = sent.body["biz_opaque_callback_data"]
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": phone_number_id}, "statuses": [status]}
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    body = json.dumps(payload).encode()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        url = fake.callback_to
        if url is not None:
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, fake.app_secret.encode())}
            try:
                if httpx.post(f"{url}/webhooks/whatsapp", content=body, headers=headers, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
        time.sleep(0.3)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeGraphApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


@contextmanager
def fake_graph_api() -> Iterator[FakeGraphApi]:
    """Serve on a free port in a thread for the duration of the block."""
    fake = FakeGraphApi()
    with serving(_Server(fake)) as url:
        fake.url = url
        yield fake
