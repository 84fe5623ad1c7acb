"""The notification service's Prometheus metrics (names are what alert rules and dashboards use)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector

KINDS = ("reminder", "waitlist_offer", "staff_message")
# Reminders end skipped or dropped; waitlist offers expired (unanswered) or withdrawn (the slot went, no consent).
OUTCOMES = ("sent", "failed", "skipped", "dropped", "retried", "expired", "withdrawn")


class NotificationMetrics:
    """One registry per service (tests build several in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)
        self.sent = Counter(
            "notifications_sent",
            "Notifications by kind and how each attempt or reminder ended",
            ["kind", "outcome"],
            registry=r,
        )
        for kind in KINDS:
            for outcome in OUTCOMES:
                self.sent.labels(kind, outcome)  # exported at 0, so increase() sees the first one
        self.queue_lag = Gauge(
            "notifications_queue_lag_seconds", "How long the longest-waiting due notification has waited", registry=r
        )
        self.worker_up = Gauge("notifications_worker_up", "1 while the job worker runs", registry=r)
