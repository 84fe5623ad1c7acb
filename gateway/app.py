"""The gateway's FastAPI application: `uvicorn --factory gateway.app:create_app`."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import redis.asyncio as redis
import structlog
from fastapi import FastAPI, Request, Response

from gateway import db
from gateway.api import chat, health, staff
from gateway.deps import Services
from gateway.errors import install_error_handlers
from gateway.inference_client import InferenceClient
from gateway.log import configure_logging
from gateway.settings import Settings, get_settings
from gateway.verification.otp import OtpService
from gateway.verification.sms import HttpSmsSender, SmsSender

log = structlog.get_logger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway; clients to Postgres, Redis and inference live as long as the app."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    if settings.otp_secret is None or not settings.sms_base_url:
        # Patients cannot be verified without them, and verification guards every personal datum.
        raise RuntimeError("OTP_SECRET and SMS_BASE_URL must be set: patients are verified by SMS before any data")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await db.create_pool(
            settings.database_url, min_size=settings.db_pool_min_size, max_size=settings.db_pool_max_size
        )
        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=settings.health_timeout_seconds)
        inference = InferenceClient(settings.inference_target, timeout_seconds=settings.inference_timeout_seconds)
        sms = HttpSmsSender(
            base_url=settings.sms_base_url or "",
            token=settings.sms_api_token.get_secret_value(),
            timeout=settings.sms_timeout_seconds,
        )
        otp = otp_service(settings, redis_client, sms)
        app.state.services = Services(settings=settings, pool=pool, redis=redis_client, inference=inference, otp=otp)
        log.info("gateway_started", inference_target=settings.inference_target)
        try:
            yield
        finally:
            await sms.aclose()
            await inference.close()
            await redis_client.aclose()
            await pool.close()

    app = FastAPI(
        title="Clinic assistant gateway",
        version="0.1.0",
        summary="WhatsApp assistant for medical clinics: n8n and WhatsApp talk to this.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(staff.router)

    @app.middleware("http")
    async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response.headers["X-Request-ID"] = request_id
        return response

    return app


def otp_service(settings: Settings, redis_client: redis.Redis, sms: SmsSender) -> OtpService:
    """Verification codes as the settings configure them."""
    assert settings.otp_secret is not None
    return OtpService(
        redis_client,
        sms,
        secret=settings.otp_secret.get_secret_value().encode(),
        key_prefix=settings.redis_key_prefix,
        code_ttl=settings.otp_code_ttl_seconds,
        max_attempts=settings.otp_max_attempts,
        lockout=settings.otp_lockout_seconds,
        sends_per_window=settings.otp_sends_per_window,
        send_window=settings.otp_send_window_seconds,
        sends_per_day=settings.otp_sends_per_day,
    )
