"""A real HTTP proxy between n8n and the gateway that can lose an answer on the way back.

It forwards every request unchanged and records what the gateway answered. For a `message_id` in
`lose_answer_once`, it lets the gateway answer, then drops the connection instead of passing the
answer on: what n8n sees when a response is lost in the network, so its HTTP node tries again. For one
in `refuse` it answers that status itself: 503 as nginx does while every gateway copy is down, 429 as the
gateway does for a patient over the rate limit. One in `delay` reaches the gateway that many seconds late.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.gateway.verification.fake_sms import serving

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass(frozen=True)
class Exchange:
    """One /chat call as the gateway saw it."""

    message_id: str | None
    user_id: str | None
    status: int
    replayed: bool
    lost: bool


@dataclass
class LossyProxy:
    target: str
    url: str = ""
    lose_answer_once: set[str] = field(default_factory=set)
    refuse: dict[str, int] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def calls_for(self, message_id: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.message_id == message_id]

    def calls_from(self, user_id: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.user_id == user_id]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            sent: dict[str, Any] = json.loads(body)
        except ValueError:
            sent = {}
        message_id = sent.get("message_id") if isinstance(sent, dict) else None
        time.sleep(proxy.delay.get(message_id or "", 0))
        if message_id in proxy.refuse:
            refusal = b'{"error": {"code": "refused", "message": "refused by the test"}}'
            json_type = {"Content-Type": "application/json"}
            answer = httpx.Response(proxy.refuse[message_id], content=refusal, headers=json_type)
        else:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            answer = httpx.post(f"{proxy.target}{self.path}", content=body, headers=headers, timeout=60)
        with proxy._lock:
            lose = message_id in proxy.lose_answer_once
            proxy.lose_answer_once.discard(message_id or "")
            proxy.exchanges.append(
                Exchange(
                    message_id=message_id,
                    user_id=sent.get("user_id") if isinstance(sent, dict) else None,
                    status=answer.status_code,
                    replayed=answer.headers.get("idempotent-replayed") == "true",
                    lost=lose,
                )
            )
        if lose:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: LossyProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


@contextmanager
def lossy_proxy(target: str) -> Iterator[LossyProxy]:
    """Serve on a free port in a thread for the duration of the block."""
    proxy = LossyProxy(target=target)
    with serving(_Server(proxy)) as url:
        proxy.url = url
        yield proxy
