"""OpenTelemetry tracing: one trace per request, through the gRPC call into inference and every query.

Every request gets a trace id (its logs carry it), but only a share of the traces begun here are recorded:
OTEL_TRACES_SAMPLER_RATIO (all in development, 1 in 10 in production), because a recorded span for the request
and each of its queries is a good part of a turn's CPU. A trace continued from a caller's traceparent, and the
inference server's side of ours, follow the decision already made. Recorded spans leave the process only when
an exporter is configured with OTEL_TRACES_EXPORTER: `otlp` (to OTEL_EXPORTER_OTLP_ENDPOINT, over HTTP),
`console` (stderr), or `none` (the default). The instrumentation patches asyncpg and gRPC for the whole
process, so it is set up once per process, whichever app is built first.
"""

from __future__ import annotations

import sys
from typing import Any, Literal

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from structlog.typing import EventDict, WrappedLogger

Exporter = Literal["none", "console", "otlp"]


def setup_tracing(app: FastAPI, *, service_name: str, exporter: Exporter, sampler_ratio: float) -> None:
    """Trace `app`'s requests; the first call in a process also installs the provider and instrumentation."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = install_provider(service_name=service_name, exporter=exporter, sampler_ratio=sampler_ratio)
    # A request's span is enough: a child span for every ASGI send and receive doubled the spans per request.
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="metrics,health", exclude_spans=["receive", "send"]
    )


def install_provider(*, service_name: str, exporter: Exporter, sampler_ratio: float) -> TracerProvider:
    """Make `tracer_provider(...)` the process's, and trace every asyncpg query and gRPC call with it."""
    provider = tracer_provider(service_name=service_name, exporter=exporter, sampler_ratio=sampler_ratio)
    trace.set_tracer_provider(provider)
    _UnsampledQueriesUntraced().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    GrpcAioInstrumentorClient().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    return provider


class _UnsampledQueriesUntraced(AsyncPGInstrumentor):
    """asyncpg's instrumentation, skipped for a query inside a trace the sampler dropped: the span it would make
    (its attributes from the connection and the statement, a context switch) is thrown away unrecorded anyway, and
    it cost about a tenth of a turn's CPU. A query with no trace around it is sampled as a trace's root."""

    async def _do_execute(self, func: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if _in_dropped_trace():
            return await func(*args, **kwargs)
        return await super()._do_execute(func, instance, args, kwargs)  # type: ignore[no-untyped-call]


def _in_dropped_trace() -> bool:
    context = trace.get_current_span().get_span_context()
    return context.is_valid and not context.trace_flags.sampled


def tracer_provider(*, service_name: str, exporter: Exporter, sampler_ratio: float) -> TracerProvider:
    """A provider that records `sampler_ratio` of the traces begun here, and those a sampled parent began."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ParentBased(TraceIdRatioBased(sampler_ratio)),
    )
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def add_trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """structlog processor: the current trace and span ids, when a span is active (recorded or not)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
