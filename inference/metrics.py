"""Prometheus metrics of the inference server, served on their own port."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from inference.tickets import Timeline

# Seconds: from a GPU's milliseconds to a loaded CPU's tens of seconds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_PER_TOKEN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)


class InferenceMetrics:
    """The server's gauges, counters and histograms, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.queue_length = Gauge("inference_queue_length", "Requests waiting for a batch slot", registry=r)
        self.running_batch_size = Gauge("inference_running_batch_size", "Rows in the running batch", registry=r)
        self.time_to_first_token = Histogram(
            "inference_time_to_first_token_seconds", "Arrival to first token", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.time_per_output_token = Histogram(
            "inference_time_per_output_token_seconds",
            "Mean time between tokens after the first, per request",
            buckets=_PER_TOKEN_BUCKETS,
            registry=r,
        )
        self.request_latency = Histogram(
            "inference_request_latency_seconds", "Arrival to last token", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.queue_time = Histogram(
            "inference_queue_seconds", "Arrival to admission into the batch", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.generated_tokens = Counter("inference_generated_tokens", "Tokens generated", registry=r)
        self.requests = Counter("inference_requests", "Finished requests by outcome", ["outcome"], registry=r)
        self.rejected = Counter("inference_rejected_requests", "Requests refused, by reason", ["reason"], registry=r)

    # EngineObserver: called on the engine thread (prometheus_client is thread-safe).
    def queue_changed(self, waiting: int) -> None:
        self.queue_length.set(waiting)

    def batch_changed(self, running: int) -> None:
        self.running_batch_size.set(running)

    def rejected_request(self, reason: str) -> None:
        self.rejected.labels(reason=reason).inc()

    def tokens_generated(self, count: int) -> None:
        self.generated_tokens.inc(count)

    def finished(self, timeline: Timeline, completion_tokens: int, outcome: str) -> None:
        """Record a request that ended (`ok`, `cancelled`, `failed`)."""
        self.requests.labels(outcome=outcome).inc()
        if timeline.finished is None or timeline.first_token is None:
            return
        self.time_to_first_token.observe(timeline.first_token - timeline.arrived)
        self.request_latency.observe(timeline.finished - timeline.arrived)
        if timeline.admitted is not None:
            self.queue_time.observe(timeline.admitted - timeline.arrived)
        if completion_tokens > 1:
            self.time_per_output_token.observe((timeline.finished - timeline.first_token) / (completion_tokens - 1))

    def serve(self, host: str, port: int) -> int:
        """Expose /metrics on `host:port` (0 picks a port) in a daemon thread; return the port."""
        server, _ = start_http_server(port, addr=host, registry=self.registry)
        bound: int = server.server_port
        return bound
