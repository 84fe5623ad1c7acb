"""The drill's fakes of Meta's Graph API and the SMS provider: what was sent, when, and a tripwire that lets the
drill crash the sender while its request is in flight.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.e2e.fake_whatsapp import _Handler as GraphHandler
from tests.e2e.fake_whatsapp import _Server as GraphServer
from tests.gateway.verification.fake_sms import FakeSmsServer, serving
from tests.gateway.verification.fake_sms import _Handler as SmsHandler
from tests.gateway.verification.fake_sms import _Server as SmsServer


class Tripwire:
    """Armed with a callback, calls it with the client's port on the next request its fake server gets, after the
    request arrived and before it is answered (so the sender can be killed with the request in flight)."""

    def __init__(self) -> None:
        self._armed: Callable[[int], None] | None = None
        self._lock = threading.Lock()

    def arm(self, on_request: Callable[[int], None]) -> None:
        with self._lock:
            self._armed = on_request

    def disarm(self) -> None:
        with self._lock:
            self._armed = None

    def trip(self, client_port: int) -> None:
        with self._lock:
            armed, self._armed = self._armed, None
        if armed is not None:
            armed(client_port)


@dataclass(frozen=True)
class GraphSend:
    """A message the fake Graph API took: when (time.monotonic()), to whom, and the outbox part it names."""

    at: float
    to: str
    callback: str


@dataclass
class DrillGraph:
    """The tests' fake Graph API, recording when each message arrived, with a tripwire."""

    fake: FakeGraphApi
    sends: list[GraphSend] = field(default_factory=list)
    tripwire: Tripwire = field(default_factory=Tripwire)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, body: dict[str, Any]) -> None:
        with self._lock:
            callback = str(body.get("biz_opaque_callback_data", ""))
            self.sends.append(GraphSend(time.monotonic(), str(body.get("to", "")), callback))


class _GraphHandler(GraphHandler):
    server: _GraphServer

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.rfile = io.BytesIO(raw)  # the tests' handler reads the body again
        self.server.graph.arrived(json.loads(raw))
        self.server.graph.tripwire.trip(self.client_address[1])
        super().do_POST()


class _GraphServer(GraphServer):
    def __init__(self, graph: DrillGraph) -> None:
        super().__init__(graph.fake)
        self.RequestHandlerClass = _GraphHandler
        self.graph = graph


class _SmsHandler(SmsHandler):
    server: _SmsServer

    def do_POST(self) -> None:
        self.server.tripwire.trip(self.client_address[1])
        super().do_POST()


class _SmsServer(SmsServer):
    def __init__(self, fake: FakeSmsServer, tripwire: Tripwire) -> None:
        super().__init__(fake)
        self.RequestHandlerClass = _SmsHandler
        self.tripwire = tripwire


@contextmanager
def drill_graph(app_secret: str) -> Iterator[DrillGraph]:
    graph = DrillGraph(FakeGraphApi(app_secret=app_secret))
    with serving(_GraphServer(graph)) as url:
        graph.fake.url = url
        yield graph


@contextmanager
def drill_sms(tripwire: Tripwire) -> Iterator[FakeSmsServer]:
    fake = FakeSmsServer()
    with serving(_SmsServer(fake, tripwire)) as url:
        fake.url = url
        yield fake
