"""A real SMS provider stand-in: an HTTP server on 127.0.0.1 that records what it is sent."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSmsServer:
    """What the provider received; `status` and `delay` shape its next answers."""

    url: str = ""
    status: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def codes(self) -> list[str]:
        """The six-digit codes in the texts received, oldest first."""
        return [m[1] for r in self.received if (m := re.search(r"\b(\d{6})\b", r.body["text"]))]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        fake = self.server.fake
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        fake.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        time.sleep(fake.delay)
        self.send_response(fake.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "msg-1"}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSmsServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) closes its socket; nothing to report


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """Serve `server` in a thread for the duration of the block; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def fake_sms_server() -> Iterator[FakeSmsServer]:
    """Serve on a free port in a thread for the duration of the block."""
    fake = FakeSmsServer()
    with serving(_Server(fake)) as url:
        fake.url = url
        yield fake
