"""The gateway's Prometheus metrics, served at GET /metrics.

Each app gets its own registry (tests build many apps in one process). Under several worker processes
(WEB_CONCURRENCY, gateway/serve.py) PROMETHEUS_MULTIPROC_DIR is set: prometheus-client then keeps the values in
files there and /metrics sums every worker's counters and histograms; a gauge is the highest (or lowest) of the
workers alive. A worker that starts (one replacing a worker that died, say) forgets the gauges of those no
longer running. The process_* metrics are not exported then: they are one process's.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

# Seconds: from a cached reply (ms) to a model reply on a busy CPU (s).
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
_BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}
# How a verification SMS send attempt ended (gateway.verification.otp.SendOutcome).
SMS_SEND_OUTCOMES = ("sent", "locked", "limited_phone", "limited_key", "limited_total", "country_refused", "error")


class GatewayMetrics:
    """Every metric the gateway exports; names are what the alert rules and dashboards use."""

    def __init__(self) -> None:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if folder:
            forget_dead_workers(Path(folder))
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # CPU seconds, resident memory and open files of this process (process_* metrics).
        ProcessCollector(registry=r)
        self.chat_requests = Counter("chat_requests", "POST /chat answers by HTTP status", ["status"], registry=r)
        self.response_time = Histogram(
            "response_time_seconds", "Time to answer, by route", ["endpoint"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.actions = Counter("chat_actions", "Actions returned by /chat", ["action"], registry=r)
        self.verification = Counter(
            "verification_outcomes", "Verification steps by kind and outcome", ["step", "outcome"], registry=r
        )
        self.rate_limited = Counter(
            "rate_limited_requests", "Requests refused by a rate limit, by scope", ["scope"], registry=r
        )
        self.sms_sends = Counter("sms_sends", "Verification SMS send attempts by outcome", ["outcome"], registry=r)
        for outcome in SMS_SEND_OUTCOMES:
            # Exported at 0 from the start, so increase() sees the first budget refusal.
            self.sms_sends.labels(outcome)
        self.sms_daily_budget = Gauge(
            "sms_daily_budget",
            "Configured SMS codes a day: per sender (scope key) and in all (scope total)",
            ["scope"],
            registry=r,
            multiprocess_mode="max",
        )
        self.cache = Counter("response_cache", "Small-talk reply cache lookups by result", ["result"], registry=r)
        self.breaker_state = Gauge(
            "circuit_breaker_state",
            "Circuit breakers: 0 closed, 1 half-open, 2 open",
            ["name"],
            registry=r,
            multiprocess_mode="livemax",
        )
        self.inference_call = Histogram(
            "inference_call_seconds",
            "Time of a gateway → inference Generate call, retries included",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )

        self.job_worker_up = Gauge(
            "job_worker_up",
            "1 while this process's job worker runs (gateway/jobs.py), 0 while it restarts after a failure",
            registry=r,
            multiprocess_mode="livemin",
        )
        self.whatsapp_failed = Counter(
            "whatsapp_failed",
            "WhatsApp messages given up on after the last retry (GET /staff/whatsapp/failed lists them), by reason",
            ["reason"],
            registry=r,
        )
        self.handover_announcements = Counter(
            "handover_announcements",
            "Announcements to n8n of conversations newly waiting for a person (console/announce.py), by outcome",
            ["outcome"],
            registry=r,
        )

    def set_breaker(self, name: str, state: str) -> None:
        """Told by each breaker of this process as it changes (every worker's own, so a scrape sees them all)."""
        self.breaker_state.labels(name).set(_BREAKER_VALUES.get(state, 2))

    def exposition(self) -> tuple[bytes, str]:
        """The body and content type of a scrape: this process's, or every worker's in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def forget_dead_workers(folder: Path) -> None:
    """Drop the live gauges (breakers, job worker) of worker processes in `folder` that no longer run: a dead
    worker's last word (an open breaker) would otherwise stand until the next restart of the whole group."""
    for path in folder.glob("gauge_live*_*.db"):
        pid = int(path.stem.rpartition("_")[2])
        if not _running(pid):
            multiprocess.mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
