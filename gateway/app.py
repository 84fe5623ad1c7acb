"""The gateway's FastAPI application: `uvicorn --factory gateway.app:create_app`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

import asyncpg
import redis.asyncio as redis
import structlog
from fastapi import FastAPI, Response

from gateway import db, outbound
from gateway.api import (
    chat,
    console,
    console_auth,
    console_cancel,
    console_clinic,
    console_inbox,
    console_patients,
    health,
    staff,
    whatsapp,
)
from gateway.api.errors import install_error_handlers
from gateway.body_limit import BodyLimit
from gateway.clock import Clock, system_clock
from gateway.console.announce import handover_announcer
from gateway.conversation.clinic_cache import ClinicCache
from gateway.conversation.reply_cache import ReplyCache
from gateway.deps import Services, chat_service
from gateway.errors import DATABASE_DOWN, InferenceUnavailable
from gateway.inference_client import InferenceClient
from gateway.jobs import JobQueue
from gateway.log import configure_logging
from gateway.metrics import GatewayMetrics
from gateway.redis_connection import connect_redis
from gateway.request_context import RequestContext
from gateway.resilience import Guard, Guards
from gateway.security.admitted_keys import AdmittedKeys
from gateway.security.rate_limit import Limit, RateLimiter
from gateway.security.secrets import InsecureConfiguration, weak_secrets
from gateway.settings import Settings, get_settings
from gateway.tracing import setup_tracing
from gateway.understanding import emergency_model
from gateway.understanding.emergency_model import EmergencyModel
from gateway.verification.otp import OtpService
from gateway.verification.sms import HttpSmsSender, SmsSender
from gateway.whatsapp.service import whatsapp_inbox
from notifications import callbacks as notification_callbacks

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    """Build the gateway; clients to Postgres, Redis and inference live as long as the app.

    `clock` says what time it is to the conversation (a replay of scripted conversations pins it).
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    refuse_weak_secrets(settings)
    metrics = GatewayMetrics()
    if settings.otp_secret is None or not settings.sms_base_url:
        # Patients cannot be verified without them, and verification guards every personal datum.
        raise RuntimeError("OTP_SECRET and SMS_BASE_URL must be set: patients are verified by SMS before any data")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await db.create_pool(
            settings.database_url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            connect_timeout=settings.db_connect_timeout_seconds,
        )
        try:
            await refuse_powerful_database_role(settings, pool)
        except BaseException:
            await pool.close()
            raise
        read_pool = pool
        if settings.database_read_url is not None:
            read_pool = await db.create_pool(
                settings.database_read_url,
                min_size=0,  # a replica that is down must not stop the gateway: only the pages reading it fail
                max_size=settings.db_pool_max_size,
                connect_timeout=settings.db_connect_timeout_seconds,
            )
        redis_client = connect_redis(settings, client_name=redis_client_name(settings))
        inference = InferenceClient(settings.inference_target, timeout_seconds=settings.inference_timeout_seconds)
        process_guards = guards(settings, on_change=metrics.set_breaker)
        for name, state in process_guards.states().items():
            metrics.set_breaker(name, state)
        sms = HttpSmsSender(
            base_url=settings.sms_base_url or "",
            token=settings.sms_api_token.get_secret_value(),
            timeout=settings.sms_timeout_seconds,
            guard=process_guards.sms,
        )
        otp = otp_service(settings, redis_client, sms, metrics)
        cache = ReplyCache(
            redis_client,
            prefix=settings.redis_key_prefix,
            ttl_seconds=settings.reply_cache_ttl_seconds,
        )
        app.state.services = Services(
            settings=settings,
            admitted_keys=AdmittedKeys(ttl=settings.chat_key_cache_seconds),
            clinics=ClinicCache(),
            pool=pool,
            read_pool=read_pool,
            redis=redis_client,
            inference=inference,
            otp=otp,
            guards=process_guards,
            rate_limiter=RateLimiter(
                redis_client,
                prefix=settings.redis_key_prefix,
                limits={
                    "user": Limit(settings.rate_limit_user_per_minute, settings.rate_limit_user_burst),
                    "api_key": Limit(settings.rate_limit_key_per_minute, settings.rate_limit_key_burst),
                    "staff_key": Limit(settings.rate_limit_staff_per_minute, settings.rate_limit_staff_burst),
                    "staff_refused": Limit(
                        settings.rate_limit_staff_refused_per_minute, settings.rate_limit_staff_refused_burst
                    ),
                    "console_login": Limit(
                        settings.rate_limit_console_login_per_minute, settings.rate_limit_console_login_burst
                    ),
                },
                on_limited=lambda scope: metrics.rate_limited.labels(scope).inc(),
            ),
            reply_cache=cache,
            metrics=metrics,
            emergency_model=EmergencyModel.load(settings.emergency_model_path or emergency_model.DEFAULT_PATH),
            clock=clock,
        )
        app.state.jobs = jobs = JobQueue(
            settings.database_url,
            concurrency=settings.job_concurrency,
            lease_seconds=settings.job_lease_seconds,
            recover_every_seconds=settings.job_recover_every_seconds,
            grace_seconds=settings.whatsapp_shutdown_grace_seconds,
            connect_timeout=settings.db_connect_timeout_seconds,
            on_worker=lambda running: metrics.job_worker_up.set(1 if running else 0),
        )
        # One per process, like the clients it is made of: it keeps no state of a request's.
        app.state.chat = chat_service(app.state.services)
        app.state.whatsapp = inbox = whatsapp_inbox(
            settings,
            pool,
            jobs,
            app.state.chat,
            app.state.services.rate_limiter,
            metrics,
            # The notification service sends through the same WhatsApp app: its `sent` callbacks arrive here.
            status_recorder=notification_callbacks,
            guard=process_guards.whatsapp,
            db_guard=process_guards.postgres,
        )
        # Conversations newly waiting for a person are announced to n8n by a job of this queue.
        announcer = handover_announcer(settings, pool, jobs, metrics)
        await jobs.start()
        log.info("gateway_started", inference_target=settings.inference_target)
        try:
            yield
        finally:
            # First: jobs still running (WhatsApp answers) need every client below; those not done within
            # WHATSAPP_SHUTDOWN_GRACE_SECONDS are aborted and retried by another copy.
            await jobs.aclose()
            await inbox.aclose()
            await announcer.aclose()
            await sms.aclose()
            await inference.close()
            await redis_client.aclose()
            if read_pool is not pool:
                await read_pool.close()
            await pool.close()

    # Defence in depth: nginx hides these too, but a production gateway does not map its API for strangers.
    docs = settings.expose_api_docs if settings.expose_api_docs is not None else settings.app_env == "development"
    app = FastAPI(
        title="Clinic assistant gateway",
        version="0.1.0",
        summary="WhatsApp assistant for medical clinics: n8n and WhatsApp talk to this.",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        # Traces come from opentelemetry-instrumentation-fastapi (gateway/tracing.py), metrics from prometheus-client:
        # FastAPI's own telemetry would only stand aside for them, checking how on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    setup_tracing(
        app,
        service_name=settings.otel_service_name,
        exporter=settings.otel_traces_exporter,
        sampler_ratio=settings.traces_sampler_ratio,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(chat.router)
    app.include_router(console.router)
    app.include_router(console_inbox.router)
    app.include_router(console_patients.router)
    app.include_router(console_cancel.router)
    app.include_router(console_clinic.router)
    console_auth.install(app)
    app.include_router(console.unmatched)
    app.include_router(health.router)
    app.include_router(staff.router)
    app.include_router(whatsapp.router)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """Prometheus scrape; keep it off the public side of nginx."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    # Added last, so outermost of ours: every answer below it (413, 404, error handlers) carries X-Request-ID.
    app.add_middleware(RequestContext, metrics=metrics)

    return app


def redis_client_name(settings: Settings) -> str:
    """How the gateway's connections show in Redis's CLIENT LIST: by deployment (its key prefix), so an operator
    (or a test) can tell them from other clients' and act on them alone (CLIENT KILL)."""
    return "gateway:" + re.sub(r"[^!-~]", "_", settings.redis_key_prefix)


def refuse_weak_secrets(settings: Settings) -> None:
    """Production: stop on any example, placeholder or short secret. Development: warn about each."""
    findings = weak_secrets(settings)
    if findings and settings.app_env == "production":
        for finding in findings:
            log.error("weak_secret", setting=finding.setting, reason=finding.reason, app_env=settings.app_env)
        raise InsecureConfiguration(findings)
    for finding in findings:
        log.warning("weak_secret", setting=finding.setting, reason=finding.reason, app_env=settings.app_env)


async def refuse_powerful_database_role(settings: Settings, pool: asyncpg.Pool) -> None:
    """Production: stop when DATABASE_URL's role could rewrite the audit log. Development: warn.

    The gateway must log in as the runtime role (docs/OPERATIONS.md, "Database roles"), never as the
    owner that runs migrations or a superuser: those can disable audit_log's append-only trigger.
    """
    async with pool.acquire() as conn:
        problems = await db.role_problems(conn)
    if not problems:
        return
    if settings.app_env == "production":
        log.error("database_role_too_powerful", problems=problems, app_env=settings.app_env)
        raise InsecureDatabaseRole(
            "refusing to start with APP_ENV=production: DATABASE_URL's role "
            + ", ".join(problems)
            + "; connect as a member of clinic_runtime (docs/OPERATIONS.md, Database roles)"
        )
    log.warning("database_role_too_powerful", problems=problems, app_env=settings.app_env)


class InsecureDatabaseRole(RuntimeError):
    """The gateway was told to run in production as a role that could rewrite the audit log."""


def otp_service(settings: Settings, redis_client: redis.Redis, sms: SmsSender, metrics: GatewayMetrics) -> OtpService:
    """Verification codes as the settings configure them; their sends counted in `metrics`."""
    assert settings.otp_secret is not None
    metrics.sms_daily_budget.labels("key").set(settings.sms_daily_budget_per_key)
    metrics.sms_daily_budget.labels("total").set(settings.sms_daily_budget_total)
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
        max_failures_per_day=settings.otp_max_failures_per_day,
        allowed_country_codes=settings.allowed_country_codes,
        budget_per_key=settings.sms_daily_budget_per_key,
        budget_total=settings.sms_daily_budget_total,
        tz=ZoneInfo(settings.clinic_timezone),
        clinic_name=settings.clinic_name,
        on_send=lambda outcome: metrics.sms_sends.labels(outcome).inc(),
    )


def guards(settings: Settings, *, on_change: Callable[[str, str], None] | None = None) -> Guards:
    """Retries and breakers for Postgres, inference, the SMS provider and the Graph API, as configured;
    `on_change(name, state)` is told each breaker's new states."""

    def guard(
        name: str,
        is_failure: Callable[[BaseException], bool],
        retry_if: Callable[[BaseException], bool] | None = None,
        *,
        reset_timeout: float = settings.breaker_reset_seconds,
        wait_out_outages: bool = False,
    ) -> Guard:
        return Guard(
            name,
            attempts=settings.retry_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
            fail_max=settings.breaker_fail_max,
            reset_timeout=reset_timeout,
            is_failure=is_failure,
            retry_if=retry_if,
            wait_out_outages=wait_out_outages,
            on_change=on_change,
        )

    return Guards(
        postgres=guard(
            "postgres",
            lambda exc: isinstance(exc, (*DATABASE_DOWN, TimeoutError)),
            reset_timeout=settings.postgres_breaker_reset_seconds,
            # Every request needs Postgres: a restart shorter than the deadline is waited out, not answered 503.
            wait_out_outages=True,
        ),
        inference=guard("inference", _inference_failure),
        # Sends are retried only when the provider cannot have taken the message (gateway/outbound.py).
        sms=guard("sms", outbound.counts_against_provider, outbound.safe_to_retry),
        whatsapp=guard("whatsapp", outbound.counts_against_provider, outbound.safe_to_retry),
    )


def _inference_failure(exc: BaseException) -> bool:
    # A request the server refuses as invalid is our bug, not the server's health; retrying will not help.
    return isinstance(exc, TimeoutError) or (isinstance(exc, InferenceUnavailable) and exc.status != "INVALID_ARGUMENT")
