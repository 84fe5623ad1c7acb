"""Every error the gateway raises, mapped to its HTTP status and the one JSON shape {"error": {"code", "message"}}.

The errors themselves (`gateway.errors`, the modules that raise them, `appointments.errors`) carry a code and a
message, and `retry_after` where a retry is worth it; the statuses are this module's table.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from appointments.errors import (
    AppointmentError,
    AppointmentNotFound,
    InvalidStatusChange,
    NotBookable,
    NotYourAppointment,
    SlotTaken,
    TooManyUpcoming,
)
from gateway.console.clinic import EditedMeanwhile, NotAnEditor
from gateway.console.patients import PatientNotFound
from gateway.console.signin import CsrfRefused, SignInRequired
from gateway.conversation.turn_lease import TurnInterrupted, TurnTaken
from gateway.errors import (
    DATABASE_DOWN,
    RETRY_AFTER_SECONDS,
    DatabaseUnavailable,
    Forbidden,
    GatewayError,
    InferenceUnavailable,
    InvalidRequest,
    NotFound,
    Unauthorized,
    WhatsAppNotConfigured,
)
from gateway.idempotency import KeyReused, StillProcessing
from gateway.resilience import DependencyUnavailable
from gateway.security.rate_limit import RateLimited
from gateway.verification.errors import (
    LockedOut,
    NoActiveCode,
    NotTextable,
    SmsBudgetExhausted,
    TooManyCodes,
    VerificationUnavailable,
)
from gateway.verification.sms import SmsDeliveryError

log = structlog.get_logger(__name__)

# The HTTP status of each error; a subclass takes its nearest listed base's (appointments' PatientBusy is a SlotTaken).
HTTP_STATUS: dict[type[Exception], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    # The staff console: pages get a redirect or a Spanish page instead (gateway/api/console_auth.py).
    SignInRequired: 401,
    CsrfRefused: 403,
    PatientNotFound: 404,
    NotAnEditor: 403,
    EditedMeanwhile: 409,
    NotFound: 404,
    InvalidRequest: 422,
    KeyReused: 422,
    NotTextable: 422,
    StillProcessing: 409,
    NoActiveCode: 409,
    RateLimited: 429,
    TooManyCodes: 429,
    LockedOut: 429,
    DatabaseUnavailable: 503,
    InferenceUnavailable: 503,
    DependencyUnavailable: 503,
    VerificationUnavailable: 503,
    SmsDeliveryError: 503,
    SmsBudgetExhausted: 503,
    TurnTaken: 503,
    TurnInterrupted: 503,
    WhatsAppNotConfigured: 503,
    # Booking refusals.
    AppointmentNotFound: 404,
    NotYourAppointment: 403,
    SlotTaken: 409,
    InvalidStatusChange: 409,
    NotBookable: 422,
    TooManyUpcoming: 409,
    # Not listed above: a booking refusal is a 409, anything else of ours a 500.
    AppointmentError: 409,
    GatewayError: 500,
}


def http_status(exc: GatewayError | AppointmentError) -> int:
    """The HTTP status of one of our errors."""
    return next(HTTP_STATUS[c] for c in type(exc).__mro__ if c in HTTP_STATUS)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _describe(error: dict[str, Any]) -> str:
    # ("body", "messages", 0, "content") -> "messages[0].content"
    where = ""
    for part in error.get("loc", ())[1:]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


async def _gateway_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return JSONResponse(error_body(exc.code, exc.message), status_code=http_status(exc), headers=headers)


async def _appointment_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppointmentError)
    return JSONResponse(error_body(exc.code, str(exc)), status_code=http_status(exc))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(e) for e in exc.errors()]
    details = [{"field": p.split(": ", 1)[0], "problem": p.split(": ", 1)[-1]} for p in problems]
    return JSONResponse(error_body("validation_error", "; ".join(problems), details=details), status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    body = error_body("database_unavailable", "the database is not reachable; please retry shortly")
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the gateway raises to the one JSON error shape."""
    for exc_type in DATABASE_DOWN:
        app.add_exception_handler(exc_type, _database_down)
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(AppointmentError, _appointment_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
