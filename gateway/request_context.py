"""Each HTTP request's id, log line and metrics: a plain ASGI middleware.

Plain ASGI rather than Starlette's BaseHTTPMiddleware (`@app.middleware("http")`), which runs the app in a
task group of its own and streams the response back through a memory channel: a large share of the
gateway's CPU per request (bench/GATEWAY.md).
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import GatewayMetrics

log = structlog.get_logger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a plain token (n8n sends its execution id), else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return uuid.uuid4().hex


class RequestContext:
    """Gives each request an id (request.state.request_id, the logs' `request_id`, the X-Request-ID answer
    header), times it by route and counts /chat answers by status, and logs one `http_request` line."""

    def __init__(self, app: ASGIApp, *, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        # What an app that raises before answering becomes (Starlette's ServerErrorMiddleware, outside us).
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            # The router writes the matched route into the scope it was given, which is this one.
            endpoint = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.response_time.labels(endpoint).observe(elapsed)
            if endpoint == "/chat":
                self.metrics.chat_requests.labels(str(status)).inc()
            log.info(
                "http_request",
                method=scope["method"],
                endpoint=endpoint,
                status=status,
                latency_ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")
