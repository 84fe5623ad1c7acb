"""`python -m inference`: serve the model over gRPC until SIGTERM or SIGINT.

Prints `INFERENCE_READY port=<n>` on stdout once health is SERVING (handy with INFERENCE_PORT=0).
"""

import asyncio
import contextlib
import logging
import signal
import sys

import structlog
import torch
import transformers

from inference.model import load_model, resolve_device
from inference.server import InferenceServer
from inference.settings import InferenceSettings
from inference.tracing import TracingSettings, setup_tracing


def configure_logging(level: str) -> structlog.typing.FilteringBoundLogger:
    """Key=value lines on stderr, filtered at `level`."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger("inference")
    return logger


async def run(settings: InferenceSettings, log: structlog.typing.FilteringBoundLogger) -> int:
    device = resolve_device(settings.device)
    server = InferenceServer(
        settings,
        load_model=lambda: load_model(settings.model_name, device, cpu_prepack=settings.cpu_prepack),
        logger=log,
    )
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_requested.set)

    port = await server.start()
    loading = asyncio.create_task(server.serve_model())
    stopping = asyncio.create_task(stop_requested.wait())
    await asyncio.wait({loading, stopping}, return_when=asyncio.FIRST_COMPLETED)
    exit_code = 0
    if loading.done() and loading.exception() is None:
        print(f"INFERENCE_READY port={port}", flush=True)
        await stopping
    elif loading.done():
        log.error("model_load_failed", model=settings.model_name, exc_info=loading.exception())
        exit_code = 1
    else:  # asked to stop while loading: the loading thread can't be interrupted, asyncio.run waits for it
        log.info("stop_requested_while_loading")
        loading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loading
    stopping.cancel()
    await server.stop()
    return exit_code


def main() -> int:
    settings = InferenceSettings()
    log = configure_logging(settings.log_level)
    if settings.torch_threads is not None:
        torch.set_num_threads(settings.torch_threads)
    tracing = TracingSettings()
    setup_tracing(service_name=tracing.service_name, exporter=tracing.exporter)
    log.info("inference_starting", model=settings.model_name, device=settings.device)
    return asyncio.run(run(settings, log))


if __name__ == "__main__":
    sys.exit(main())
