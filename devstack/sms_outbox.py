"""The SMS provider of a laptop: an HTTP server that prints the texts the gateway sends.

`make run` points SMS_BASE_URL here unless one is configured, so a developer can read the
verification codes in the terminal (and in .data/sms-outbox.log) instead of on a phone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack.serving import serving


class _Handler(BaseHTTPRequestHandler):
    server: _Outbox

    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            line = f"{datetime.now():%H:%M:%S} SMS to {body['to']}: {body['text']}"
        except (ValueError, KeyError, TypeError):
            self.send_error(400, "expected JSON {to, text}")
            return
        print(f"[sms] {line}", flush=True)
        with self.server.log_file.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "queued"}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Outbox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, log_file: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.log_file = log_file


@contextmanager
def sms_outbox(log_file: Path) -> Iterator[str]:
    """Serve on a free loopback port while the block runs; yields the base URL."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with serving(_Outbox(log_file)) as url:
        yield url
