"""The gateway's errors: each has a stable code callers (n8n) can branch on, and no HTTP status.

`gateway.api.errors` maps them, and the booking errors of `appointments.errors`, to HTTP statuses in one table.
"""

from __future__ import annotations

import asyncpg

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
# How long a caller told "retry" after a dependency failed should wait, in seconds.
RETRY_AFTER_SECONDS = 1


class GatewayError(Exception):
    """An error with a stable code that callers (n8n) can branch on; `retry_after`: seconds until trying again
    may succeed, when that is known."""

    code = "internal_error"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Unauthorized(GatewayError):
    code = "unauthorized"


class Forbidden(GatewayError):
    code = "forbidden"


class NotFound(GatewayError):
    code = "not_found"


class InvalidRequest(GatewayError):
    code = "validation_error"


class InferenceUnavailable(GatewayError):
    code = "inference_unavailable"

    def __init__(self, message: str, *, status: str = "UNAVAILABLE") -> None:
        super().__init__(message)
        # The gRPC status name: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT, ...
        self.status = status


class DatabaseUnavailable(GatewayError):
    """PostgreSQL could not be reached in time, its breaker is open, or its connections kept breaking; retry."""

    code = "database_unavailable"

    def __init__(self, message: str = "the database is not reachable; please retry shortly") -> None:
        super().__init__(message, retry_after=RETRY_AFTER_SECONDS)


class WhatsAppNotConfigured(GatewayError):
    """The WhatsApp webhook's secrets are not set."""

    code = "whatsapp_not_configured"
