"""Structured logs: JSON lines in production, readable lines in a terminal."""

from __future__ import annotations

import logging
import sys

import structlog

from gateway.privacy import mask_phone as mask_phone  # where the log's callers have always found it
from gateway.tracing import add_trace_ids


def _stderr_logger(*_: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def configure_logging(level: str = "INFO") -> None:
    """Route structlog and stdlib logging through one renderer chosen by whether stderr is a terminal."""
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if sys.stderr.isatty() else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Whatever sys.stderr is when a line is written (not when logging was set up), so redirecting
        # stderr, as a supervisor or a test does, redirects the logs too.
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
