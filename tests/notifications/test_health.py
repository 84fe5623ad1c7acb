"""/health and /metrics of the notification process (notifications/health.py), over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from notifications import health
from notifications.metrics import NotificationMetrics

Serve = Callable[[dict[str, bool]], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers = []

    async def start(checks: dict[str, bool]) -> str:
        metrics = NotificationMetrics()

        async def healthy() -> dict[str, bool]:
            return checks

        async def refresh() -> None:
            metrics.queue_lag.set(42)

        server = await health.serve("127.0.0.1", 0, registry=metrics.registry, healthy=healthy, before_metrics=refresh)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_healthy_when_every_check_passes(serve: Serve) -> None:
    url = await serve({"database": True, "worker": True})
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{url}/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok", "database": True, "worker": True})


async def test_unavailable_when_one_fails(serve: Serve) -> None:
    url = await serve({"database": False, "worker": True})
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{url}/health")
    assert (answer.status_code, answer.json()["status"], answer.json()["database"]) == (503, "unavailable", False)


async def test_metrics_are_refreshed_then_served_and_other_paths_are_not_found(serve: Serve) -> None:
    url = await serve({"worker": True})
    async with httpx.AsyncClient() as client:
        metrics, missing, posted = (
            await client.get(f"{url}/metrics"),
            await client.get(f"{url}/nothing"),
            await client.post(f"{url}/health"),
        )
    assert metrics.status_code == 200
    assert "notifications_queue_lag_seconds 42.0" in metrics.text
    assert 'notifications_sent_total{kind="reminder",outcome="failed"} 0.0' in metrics.text
    assert (missing.status_code, posted.status_code) == (404, 405)
