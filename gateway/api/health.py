"""GET /health (is this process alive, and how is it doing) and GET /ready (can it serve now)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.deps import AppServices, Services
from gateway.schemas import HealthResponse, ReadyResponse

router = APIRouter()


async def _check(probe: Awaitable[object], limit_seconds: float) -> str:
    try:
        result = await asyncio.wait_for(probe, limit_seconds)
    except Exception:  # whatever the failure, the dependency is not usable
        return "unavailable"
    return "ok" if result is not False else "unavailable"


async def _postgres(services: Services) -> bool:
    async with services.pool.acquire() as conn:
        return bool(await conn.fetchval("SELECT 1") == 1)


async def _inference(services: Services, limit_seconds: float) -> bool:
    return await services.inference.is_serving(timeout_seconds=limit_seconds)


async def dependency_checks(services: Services) -> dict[str, str]:
    """Postgres, Redis and inference, each `ok` or `unavailable`, probed at once within the health timeout."""
    timeout = services.settings.health_timeout_seconds
    results = await asyncio.gather(
        _check(_postgres(services), timeout),
        _check(services.redis.ping(), timeout),
        _check(_inference(services, timeout), timeout),
    )
    return dict(zip(("postgres", "redis", "inference"), results, strict=True))


@router.get("/health", response_model=HealthResponse)
async def health(services: AppServices) -> HealthResponse:
    """Liveness: 200 while the process runs, with how its dependencies, breakers and rate limiter are doing.

    `status` is `degraded` when a dependency is down; the gateway then still answers what it can
    (emergencies, templates, the local rate limiter), so this never fails a liveness probe.
    """
    checks = await dependency_checks(services)
    return HealthResponse(
        status="ok" if all(result == "ok" for result in checks.values()) else "degraded",
        checks=checks,
        breakers=services.guards.states(),
        rate_limiter=services.rate_limiter.mode,
    )


@router.get("/ready", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
async def ready(services: AppServices) -> JSONResponse:
    """Readiness: 200 when Postgres, Redis and inference all answer; 503 naming the ones that do not."""
    checks = await dependency_checks(services)
    healthy = all(result == "ok" for result in checks.values())
    body = ReadyResponse(status="ok" if healthy else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
