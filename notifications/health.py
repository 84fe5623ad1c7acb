"""`/health` and `/metrics` on a port of their own: a minimal HTTP/1.1 server, so the worker needs no web stack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

_MAX_REQUEST_LINE = 8192


async def _respond(writer: asyncio.StreamWriter, status: int, content_type: str, body: bytes) -> None:
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


async def serve(
    host: str,
    port: int,
    *,
    registry: CollectorRegistry,
    healthy: Callable[[], Awaitable[dict[str, bool]]],
    before_metrics: Callable[[], Awaitable[None]] | None = None,
) -> asyncio.Server:
    """Start serving; `healthy` names each check and whether it passed (all must pass for a 200).

    `before_metrics` refreshes values that are read, not counted (every copy reports its own scrape).
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing here reads them
            parts = line[:_MAX_REQUEST_LINE].decode("latin-1").split()
            method, path = (parts[0], parts[1].split("?")[0]) if len(parts) >= 2 else ("", "")
            if method not in ("GET", "HEAD"):
                await _respond(writer, 405, "text/plain", b"")
            elif path == "/health":
                checks = await healthy()
                body = json.dumps({"status": "ok" if all(checks.values()) else "unavailable", **checks}).encode()
                await _respond(writer, 200 if all(checks.values()) else 503, "application/json", body)
            elif path == "/metrics":
                if before_metrics is not None:
                    await before_metrics()
                await _respond(writer, 200, CONTENT_TYPE_LATEST, generate_latest(registry))
            else:
                await _respond(writer, 404, "text/plain", b"")
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
