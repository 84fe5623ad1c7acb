"""FastAPI dependencies: what a route needs, read like types."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
import redis.asyncio as redis
import structlog
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from gateway import audit
from gateway.api.errors import http_status
from gateway.clock import Clock
from gateway.conversation.clinic_cache import ClinicCache
from gateway.conversation.reply_cache import ReplyCache
from gateway.conversation.service import ChatService
from gateway.db import Connection, on_live_session
from gateway.errors import DatabaseUnavailable, Forbidden, GatewayError, Unauthorized
from gateway.inference_client import InferenceClient
from gateway.metrics import GatewayMetrics
from gateway.resilience import DependencyUnavailable, Guards
from gateway.security.admitted_keys import AdmittedKeys
from gateway.security.api_keys import ApiKey, authenticate, claimed_prefix
from gateway.security.rate_limit import RateLimiter
from gateway.settings import Settings
from gateway.understanding.emergency_model import EmergencyModel
from gateway.verification.otp import OtpService

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Services:
    """The long-lived clients a gateway process holds, created in the app's lifespan."""

    settings: Settings
    pool: asyncpg.Pool
    # DATABASE_READ_URL's replica, else `pool` itself: for pages that only read (a replica may lag a moment).
    read_pool: asyncpg.Pool
    redis: redis.Redis
    inference: InferenceClient
    otp: OtpService
    guards: Guards
    rate_limiter: RateLimiter
    reply_cache: ReplyCache
    metrics: GatewayMetrics
    emergency_model: EmergencyModel
    clock: Clock
    # Chat keys found recently, and the clinic's doctors and specialties: each copy's own, kept between requests.
    admitted_keys: AdmittedKeys
    clinics: ClinicCache


# The dependencies below are `async def` though they never wait: FastAPI runs a plain `def` dependency in its
# thread pool, a thread hop on every request for a dictionary lookup (bench/GATEWAY.md's profile: 8 % of samples).
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


AppServices = Annotated[Services, Depends(get_services)]


async def db_connection(services: AppServices) -> AsyncIterator[Connection]:
    """A pooled connection for the request; routes open their own transactions on it."""
    async with services.pool.acquire() as conn:
        yield conn


Conn = Annotated[Connection, Depends(db_connection)]


async def clinic_zone(services: AppServices) -> ZoneInfo:
    """The clinic's time zone (`CLINIC_TIMEZONE`): local dates are read and times shown in it."""
    return ZoneInfo(services.settings.clinic_timezone)


ClinicZone = Annotated[ZoneInfo, Depends(clinic_zone)]

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A key issued by `gateway.cli keys create`."
)


async def _key_for(services: Services, secret: str) -> ApiKey | None:
    async def lookup(seconds_left: float) -> ApiKey | None:
        return await on_live_session(
            services.pool, lambda conn: authenticate(conn, secret), acquire_timeout=seconds_left
        )

    deadline = time.monotonic() + services.settings.request_deadline_seconds
    try:
        return await services.guards.postgres.call(lookup, deadline=deadline)
    except DependencyUnavailable as exc:
        raise DatabaseUnavailable("the database is not reachable; please retry shortly") from exc


def _admitted(key: ApiKey | None, scope: str) -> ApiKey:
    if key is None:
        raise Unauthorized("invalid or revoked API key")
    if scope not in key.scopes and "admin" not in key.scopes:
        raise Forbidden(f"this API key lacks the '{scope}' scope")
    return key


def api_key_scope(
    scope: str, *, recently_admitted: bool = False
) -> Callable[[Services, str | None], Awaitable[ApiKey]]:
    """A dependency that admits callers whose key holds `scope` (or `admin`).

    `recently_admitted`: a key found in the last CHAT_KEY_CACHE_SECONDS is not looked up again; only for routes
    that check the key is still active themselves (/chat's turn does, in its first statement).
    """

    async def require(services: AppServices, secret: str | None = Security(_api_key_header)) -> ApiKey:
        if not secret:
            raise Unauthorized("missing X-API-Key header")
        if recently_admitted and (known := services.admitted_keys.get(secret)) is not None:
            return _admitted(known, scope)
        key = await _key_for(services, secret)
        if recently_admitted and key is not None:
            services.admitted_keys.keep(secret, key)
        return _admitted(key, scope)

    return require


async def staff_caller(
    request: Request, services: AppServices, secret: str | None = Security(_api_key_header)
) -> ApiKey:
    """A key with the `staff` (or `admin`) scope, within its rate limit.

    A refusal (401, 403) leaves an audit row first; refusals from one client address are rate limited
    themselves, so a flood of bad keys gets 429s instead of filling the audit log.
    """
    key = await _key_for(services, secret) if secret else None
    try:
        if not secret:
            raise Unauthorized("missing X-API-Key header")
        admitted = _admitted(key, "staff")
    except (Unauthorized, Forbidden) as refusal:
        await _audit_refusal(request, services, secret, key, refusal)
        raise
    await services.rate_limiter.check("staff_key", str(admitted.id))
    return admitted


async def _audit_refusal(
    request: Request, services: Services, secret: str | None, key: ApiKey | None, refusal: GatewayError
) -> None:
    client = request.client.host if request.client else "unknown"
    await services.rate_limiter.check("staff_refused", client)
    prefix = key.prefix if key is not None else claimed_prefix(secret or "")
    route = getattr(request.scope.get("route"), "path", "unmatched")
    detail: dict[str, audit.DetailValue] = {
        "method": request.method,
        "status": http_status(refusal),
        "reason": "missing_key" if not secret else refusal.code,
        "client_ip": client[:64],
    }
    if key is not None:
        detail["key_id"] = key.id
    try:
        async with services.pool.acquire(timeout=services.settings.db_connect_timeout_seconds) as conn:
            await audit.record(
                conn,
                actor=audit.api_key_actor(prefix) if prefix else audit.ANONYMOUS,
                action="staff.auth",
                outcome="denied",
                target=f"route:{route}",
                detail=detail,
            )
    except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
        # The caller is refused either way; an audit that cannot be written must not turn 401 into 500.
        log.warning("audit_write_failed", action="staff.auth", error=type(exc).__name__)


ChatCaller = Annotated[ApiKey, Depends(api_key_scope("chat", recently_admitted=True))]
StaffCaller = Annotated[ApiKey, Depends(staff_caller)]


def chat_service(services: Services) -> ChatService:
    """The conversation service over the app's shared clients (it holds no state of its own)."""
    return ChatService(
        services.pool,
        services.inference,
        services.otp,
        services.settings,
        guards=services.guards,
        cache=services.reply_cache,
        metrics=services.metrics,
        emergency_model=services.emergency_model,
        clock=services.clock,
        clinics=services.clinics,
    )


async def get_chat_service(request: Request) -> ChatService:
    chat: ChatService = request.app.state.chat
    return chat


Chat = Annotated[ChatService, Depends(get_chat_service)]
