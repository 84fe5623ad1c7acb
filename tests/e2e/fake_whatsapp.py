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

from tests.gateway.verification.fake_sms import serving


@dataclass(frozen=True)
class Sent:
    """One message the Graph API was asked to send."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

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
    """What the Graph API received; `status` shapes its next answers."""

    url: str = ""
    status: int = 200
    received: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sent_to(self, wa_id: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.received if s.to == wa_id]

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
        sent = Sent(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with fake._lock:
            fake.received.append(sent)
            number = len(fake.received)
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": sent.to, "wa_id": sent.to}],
            "messages": [{"id": f"wamid.fake-out-{number}"}],
        }
        if fake.status >= 400:
            answer = {"error": {"message": "fake failure", "type": "OAuthException", "code": 131000}}
        payload = json.dumps(answer).encode()
        self.send_response(fake.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


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
