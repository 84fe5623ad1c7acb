"""A real send API stand-in (SMS provider or Graph API) on 127.0.0.1 whose answers are scripted one by one."""

from __future__ import annotations

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
class Answer:
    """How to answer one request: a status after `delay` seconds, or (`drop`) no answer at all."""

    status: int = 200
    delay: float = 0.0
    drop: bool = False


@dataclass
class ScriptedProvider:
    """What the API received; `script` answers the next requests in order, then `then` answers the rest."""

    url: str = ""
    script: list[Answer] = field(default_factory=list)
    then: Answer = field(default_factory=Answer)
    received: list[Any] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self) -> int:
        with self._lock:
            return len(self.received)

    def _next(self, body: Any) -> Answer:
        with self._lock:
            self.received.append(body)
            return self.script.pop(0) if self.script else self.then


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        answer = self.server.provider._next(json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))))
        time.sleep(answer.delay)
        if answer.drop:
            self.close_connection = True  # the request was read; the socket closes with no answer
            return
        payload = json.dumps({"id": "msg-1", "messages": [{"id": "wamid.scripted"}]}).encode()
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (timeout tests)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, provider: ScriptedProvider) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.provider = provider

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def scripted_provider() -> Iterator[ScriptedProvider]:
    """Serve on a free port in a thread for the duration of the block."""
    provider = ScriptedProvider()
    with serving(_Server(provider)) as url:
        provider.url = url
        yield provider
