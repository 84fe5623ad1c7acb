"""Settings of a gateway under test, and the type of the fixture that makes one."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gateway.settings import Settings
from tests.support.services import runtime_url

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


def gateway_settings(
    database_url: str, redis_url: str, inference_target: str, sms_url: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        # Test secrets are not production ones: development warns about them instead of refusing.
        "APP_ENV": "development",
        # The gateway logs in as the runtime role, as in production; `database_url` is the owner's.
        "DATABASE_URL": runtime_url(database_url),
        "REDIS_URL": redis_url,
        "INFERENCE_TARGET": inference_target,
        "INFERENCE_TIMEOUT_SECONDS": 30,
        "HEALTH_TIMEOUT_SECONDS": 2,
        "SMS_BASE_URL": sms_url,
        "SMS_API_TOKEN": "test-sms-token",
        "OTP_SECRET": "test-otp-secret-of-at-least-16-bytes",
        # Verification state lives in Redis by phone; a prefix per test keeps tests (and runs) apart.
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        # Scripted conversations type faster than patients; the rate-limit tests set their own limits.
        "RATE_LIMIT_USER_BURST": 1000,
        "RATE_LIMIT_KEY_BURST": 1000,
        **overrides,
    }
    return Settings(**values)
