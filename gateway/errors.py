"""The gateway's error types and their one JSON shape: {"error": {"code", "message"}}."""

from __future__ import annotations

from typing import Any

import asyncpg
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

log = structlog.get_logger(__name__)

# Raised by asyncpg (and the OS) when the database cannot be reached or the session was lost, as opposed to a
# bad query. The connection is unusable afterwards: the pool discards it when it is released (its reset fails).
DATABASE_DOWN: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # The server ended the session: pg_terminate_backend (57P01), a crash (57P02), starting up or shutting down
    # (57P03), idle timeouts (57P05, 25P03).
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.IdleSessionTimeoutError,
    asyncpg.IdleInTransactionSessionTimeoutError,
    # asyncpg's protocol, given the server's FATAL goodbye of a terminated session before it noticed the socket
    # close, refuses the next statement with "cannot switch to state N; another operation (2) is in progress".
    asyncpg.InternalClientError,
)
# How long a caller told "retry" by a 503 should wait, in seconds.
RETRY_AFTER_SECONDS = "1"


class GatewayError(Exception):
    """An error with a stable code that callers (n8n) can branch on."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class Unauthorized(GatewayError):
    status_code = 401
    code = "unauthorized"


class Forbidden(GatewayError):
    status_code = 403
    code = "forbidden"


class NotFound(GatewayError):
    status_code = 404
    code = "not_found"


class InvalidRequest(GatewayError):
    status_code = 422
    code = "validation_error"


class InferenceUnavailable(GatewayError):
    status_code = 503
    code = "inference_unavailable"

    def __init__(self, message: str, *, status: str = "UNAVAILABLE") -> None:
        super().__init__(message)
        # The gRPC status name: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT, ...
        self.status = status


class DatabaseUnavailable(GatewayError):
    """PostgreSQL could not be reached in time, its breaker is open, or its connections kept breaking; retry."""

    status_code = 503
    code = "database_unavailable"

    def __init__(self, message: str = "the database is not reachable; please retry shortly") -> None:
        super().__init__(message, headers={"Retry-After": RETRY_AFTER_SECONDS})


# Booking refusals by HTTP status; a subclass takes its nearest listed base's (PatientBusy is a SlotTaken).
_APPOINTMENT_STATUS: dict[type[AppointmentError], int] = {
    AppointmentNotFound: 404,
    NotYourAppointment: 403,
    SlotTaken: 409,
    InvalidStatusChange: 409,
    NotBookable: 422,
    TooManyUpcoming: 409,
}


def appointment_error_status(exc: AppointmentError) -> int:
    """The HTTP status of a booking refusal (409 for one not listed)."""
    return next((_APPOINTMENT_STATUS[c] for c in type(exc).__mro__ if c in _APPOINTMENT_STATUS), 409)


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
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status_code, headers=exc.headers)


async def _appointment_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppointmentError)
    return JSONResponse(error_body(exc.code, str(exc)), status_code=appointment_error_status(exc))


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
    return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the gateway raises to the one JSON error shape."""
    for exc_type in DATABASE_DOWN:
        app.add_exception_handler(exc_type, _database_down)
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(AppointmentError, _appointment_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
