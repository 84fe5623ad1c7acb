"""OpenTelemetry for the inference server: each Generate call continues the caller's trace.

The gateway sends the trace context in the gRPC metadata (W3C traceparent); the server interceptor picks
it up, so a patient's request is one trace from nginx to the model. Exporters as in the gateway:
OTEL_TRACES_EXPORTER `none` (default), `console` (stderr) or `otlp` (OTEL_EXPORTER_OTLP_ENDPOINT).
"""

from __future__ import annotations

import sys
from typing import Literal

from opentelemetry import trace
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Exporter = Literal["none", "console", "otlp"]


class TracingSettings(BaseSettings):
    """The standard OpenTelemetry variables this server reads (the exporter reads the endpoint itself)."""

    model_config = SettingsConfigDict(extra="ignore")

    exporter: Exporter = Field(default="none", validation_alias="OTEL_TRACES_EXPORTER")
    service_name: str = Field(default="clinic-inference", validation_alias="OTEL_SERVICE_NAME")


def setup_tracing(*, service_name: str, exporter: Exporter) -> None:
    """Install the provider and the gRPC server instrumentation; call before creating the server."""
    if exporter == "none" or isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    GrpcAioInstrumentorServer().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
