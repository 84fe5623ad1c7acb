"""The gRPC server's lifecycle: bind, load the model, warm up, serve, shut down."""

import asyncio
from collections.abc import Callable

import grpc
import structlog
from grpc_health.v1 import health_pb2_grpc

from inference.engine import Engine
from inference.metrics import InferenceMetrics
from inference.model import LoadedModel
from inference.scheduler import ContinuousBatcher
from inference.service import InferenceServicer, ServingHealth
from inference.settings import InferenceSettings
from inference.tickets import EngineLimits
from protos import inference_pb2_grpc

ModelLoader = Callable[[], LoadedModel]


class InferenceServer:
    """Health answers NOT_SERVING from `start()` until `serve_model()` has loaded the model and
    run a warm-up generation, SERVING from then on, and NOT_SERVING again once `stop()` begins."""

    def __init__(
        self,
        settings: InferenceSettings,
        *,
        load_model: ModelLoader,
        logger: structlog.typing.FilteringBoundLogger,
    ) -> None:
        self._settings = settings
        self._load_model = load_model
        self._log = logger
        self.health = ServingHealth()
        self.metrics = InferenceMetrics()
        self.servicer = InferenceServicer(settings, logger=logger, metrics=self.metrics)
        self.batcher: ContinuousBatcher | None = None
        self.metrics_port: int | None = None
        self.model: LoadedModel | None = None
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None

    async def start(self) -> int:
        """Bind host:port (0 picks a free port) and start answering, NOT_SERVING for now."""
        await self.health.set_serving(False)
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        inference_pb2_grpc.add_InferenceServicer_to_server(self.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, server)
        address = f"{self._settings.host}:{self._settings.port}"
        port: int = server.add_insecure_port(address)
        if port == 0:
            raise RuntimeError(f"could not bind {address}")
        await server.start()
        self._server, self.port = server, port
        if self._settings.metrics_port is not None:
            self.metrics_port = self.metrics.serve(self._settings.host, self._settings.metrics_port)
        self._log.info("inference_listening", host=self._settings.host, port=port, metrics_port=self.metrics_port)
        return port

    async def serve_model(self) -> None:
        """Load the model in a thread, start batching, warm up, then report SERVING."""
        model = await asyncio.to_thread(self._load_model)
        self.model = model
        self._log.info(
            "model_loaded",
            model=model.name,
            device=str(model.device),
            context_length=model.context_length,
            prepacked_layers=model.prepacked_layers,
        )
        engine = Engine(model, self._limits(model), observer=self.metrics)
        batcher = ContinuousBatcher(engine, metrics=self.metrics)
        await batcher.start()
        self.batcher = batcher
        self.servicer.attach(model, batcher)
        await self.servicer.warm_up()
        await self.health.set_serving(True)
        self._log.info("inference_serving", port=self.port, model=model.name, device=str(model.device))

    def _limits(self, model: LoadedModel) -> EngineLimits:
        settings = self._settings
        return EngineLimits(
            max_batch_size=settings.max_batch_size,
            max_queue=settings.max_queue,
            max_tokens_in_flight=settings.max_tokens_in_flight or settings.max_batch_size * model.context_length,
            max_prefill_tokens=settings.max_prefill_tokens,
            max_queue_age_s=settings.max_queue_age_ms / 1000,
            short_request_tokens=settings.short_request_tokens,
            kv_capacity=max(settings.kv_capacity or model.context_length, model.context_length),
        )

    async def stop(self, grace: float | None = None) -> None:
        """Drain: NOT_SERVING and no new calls, let in-flight calls finish within `grace` seconds,
        then stop the engine."""
        await self.health.shut_down()
        self.servicer.stop_accepting()
        if self._server is not None:
            await self._server.stop(self._settings.shutdown_grace_s if grace is None else grace)
        if self.batcher is not None:
            await self.batcher.stop()
        self._log.info("inference_stopped")
