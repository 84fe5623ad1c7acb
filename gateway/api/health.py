"""GET /health — is this gateway able to serve, and if not, which dependency is down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.deps import AppServices, Services
from gateway.schemas import HealthResponse

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


@router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
async def health(services: AppServices) -> JSONResponse:
    """200 when Postgres, Redis and inference all answer; 503 naming the ones that do not."""
    timeout = services.settings.health_timeout_seconds
    names = ("postgres", "redis", "inference")
    results = await asyncio.gather(
        _check(_postgres(services), timeout),
        _check(services.redis.ping(), timeout),
        _check(_inference(services, timeout), timeout),
    )
    checks = dict(zip(names, results, strict=True))
    healthy = all(result == "ok" for result in results)
    body = HealthResponse(status="ok" if healthy else "degraded", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
