"""FastAPI dependencies: what a route needs, read like types."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
import redis.asyncio as redis
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from gateway.conversation.reply_cache import ReplyCache
from gateway.conversation.service import ChatService
from gateway.db import Connection
from gateway.errors import DatabaseUnavailable, Forbidden, Unauthorized
from gateway.inference_client import InferenceClient
from gateway.metrics import GatewayMetrics
from gateway.resilience import DependencyUnavailable, Guards
from gateway.security.api_keys import ApiKey, authenticate
from gateway.security.rate_limit import RateLimiter
from gateway.settings import Settings
from gateway.verification.otp import OtpService


@dataclass(frozen=True)
class Services:
    """The long-lived clients a gateway process holds, created in the app's lifespan."""

    settings: Settings
    pool: asyncpg.Pool
    redis: redis.Redis
    inference: InferenceClient
    otp: OtpService
    guards: Guards
    rate_limiter: RateLimiter
    reply_cache: ReplyCache
    metrics: GatewayMetrics


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


AppServices = Annotated[Services, Depends(get_services)]


async def db_connection(services: AppServices) -> AsyncIterator[Connection]:
    """A pooled connection for the request; routes open their own transactions on it."""
    async with services.pool.acquire() as conn:
        yield conn


Conn = Annotated[Connection, Depends(db_connection)]


def clinic_zone(services: AppServices) -> ZoneInfo:
    """The clinic's time zone (`CLINIC_TIMEZONE`): local dates are read and times shown in it."""
    return ZoneInfo(services.settings.clinic_timezone)


ClinicZone = Annotated[ZoneInfo, Depends(clinic_zone)]

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A key issued by `gateway.cli keys create`."
)


def api_key_scope(scope: str) -> Callable[[Services, str | None], Awaitable[ApiKey]]:
    """A dependency that admits callers whose key holds `scope` (or `admin`)."""

    async def require(services: AppServices, secret: str | None = Security(_api_key_header)) -> ApiKey:
        if not secret:
            raise Unauthorized("missing X-API-Key header")

        async def lookup(seconds_left: float) -> ApiKey | None:
            async with services.pool.acquire(timeout=seconds_left) as conn:
                return await authenticate(conn, secret)

        deadline = time.monotonic() + services.settings.request_deadline_seconds
        try:
            key = await services.guards.postgres.call(lookup, deadline=deadline)
        except DependencyUnavailable as exc:
            raise DatabaseUnavailable("the database is not reachable; please retry shortly") from exc
        if key is None:
            raise Unauthorized("invalid or revoked API key")
        if scope not in key.scopes and "admin" not in key.scopes:
            raise Forbidden(f"this API key lacks the '{scope}' scope")
        return key

    return require


ChatCaller = Annotated[ApiKey, Depends(api_key_scope("chat"))]
StaffCaller = Annotated[ApiKey, Depends(api_key_scope("staff"))]


def get_chat_service(services: AppServices) -> ChatService:
    return ChatService(
        services.pool,
        services.inference,
        services.otp,
        services.settings,
        guards=services.guards,
        cache=services.reply_cache,
        metrics=services.metrics,
    )


Chat = Annotated[ChatService, Depends(get_chat_service)]
