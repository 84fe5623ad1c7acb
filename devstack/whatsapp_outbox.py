"""The WhatsApp Cloud API of a laptop: an HTTP server that prints the messages the notification service sends.

`make run` points the notification service's WHATSAPP_GRAPH_BASE_URL here, so a developer reads the reminders in
the terminal (and in .data/whatsapp-outbox.log) instead of on a phone. It answers as the Graph API does, with a
message id, so the service records the reminder as sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack.serving import serving
from notifications.template import render

_MESSAGES_PATH = re.compile(r"^/v\d+\.\d+/\d+/messages$")


def describe(message: dict[str, Any], bodies: Mapping[str, str] | None = None) -> str:
    """One line a developer reads: the recipient, the template (or text) and what fills it; a template whose approved
    body `bodies` holds (by template name) is shown as the patient reads it."""
    to = message["to"]
    if message.get("type") == "template":
        template = message["template"]
        params: list[str] = []
        buttons: list[str] = []
        for component in template.get("components", []):
            if component.get("type") == "body":
                params = [p["text"] for p in component.get("parameters", []) if p.get("type") == "text"]
            elif component.get("type") == "button":
                buttons += [p["payload"] for p in component.get("parameters", []) if p.get("type") == "payload"]
        body = (bodies or {}).get(template["name"])
        filled = f"«{render(body, params)}»" if body is not None else " | ".join(params)
        return (
            f"template {template['name']} ({template['language']['code']}) to +{to}: "
            + filled
            + (f"  [buttons: {', '.join(buttons)}]" if buttons else "")
        )
    if message.get("type") == "text":
        return f"text to +{to}: {message['text']['body']}"
    return f"{message.get('type')} to +{to}"


class _Handler(BaseHTTPRequestHandler):
    server: _Outbox

    def do_POST(self) -> None:
        if not _MESSAGES_PATH.match(self.path):
            self.send_error(404, "expected POST /{version}/{phone_number_id}/messages")
            return
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            self.send_error(401, "expected a bearer token")
            return
        try:
            message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            line = f"{datetime.now():%H:%M:%S} WhatsApp {describe(message, self.server.bodies)}"
        except (ValueError, KeyError, TypeError, AttributeError):
            self.send_error(400, "expected a Graph API message body")
            return
        print(f"[whatsapp] {line}", flush=True)
        with self.server.lock:
            with self.server.log_file.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
            wamid = f"wamid.devstack.{next(self.server.ids)}"
        body = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": message["to"], "wa_id": message["to"]}],
            "messages": [{"id": wamid}],
        }
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Outbox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, log_file: Path, bodies: Mapping[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.log_file = log_file
        self.bodies = bodies
        self.lock = threading.Lock()
        self.ids = itertools.count(int(datetime.now().timestamp()))


@contextmanager
def whatsapp_outbox(log_file: Path, bodies: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve on a free loopback port while the block runs; yields the base URL (WHATSAPP_GRAPH_BASE_URL). `bodies`:
    the approved body of each template name, to print a template as the patient reads it."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with serving(_Outbox(log_file, bodies or {})) as url:
        yield url
