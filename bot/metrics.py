"""What the bot counts for ``/metrics`` (Prometheus) and ``/healthz``. One registry per
application, made by the composition root; services get the object and count, nothing more."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sent = Counter(
            "bangban_messages_sent",
            "Outbox messages delivered, by kind (prompt, reminder, escalation, notice)",
            ["kind"],
            registry=self.registry,
        )
        self.failed = Counter(
            "bangban_messages_failed",
            "Outbox messages given up on, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.retried = Counter(
            "bangban_messages_retried",
            "Outbox sends put off (flood limit, server error, timeout)",
            registry=self.registry,
        )
        self.escalations = Counter(
            "bangban_escalations",
            "Escalations recorded, by level",
            ["level"],
            registry=self.registry,
        )
        self.updates = Counter(
            "bangban_updates", "Updates handled, by type", ["type"], registry=self.registry
        )
        self.updates_dropped = Counter(
            "bangban_updates_dropped",
            "Updates dropped because their chat had too many waiting (a flood)",
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "bangban_handler_seconds",
            "Time to handle one update",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.rate_limit_waits = Counter(
            "bangban_rate_limit_waits",
            "Bot API requests that waited for the rate limiter",
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "bangban_outbox_depth", "Outbox messages waiting to be sent", registry=self.registry
        )
        self.outbox_oldest_seconds = Gauge(
            "bangban_outbox_oldest_seconds",
            "Age of the oldest message waiting in the outbox",
            registry=self.registry,
        )
        self.api_last_ok_seconds = Gauge(
            "bangban_bot_api_last_ok_seconds",
            "Seconds since the last successful Bot API call",
            registry=self.registry,
        )
        self._last_api_ok: float | None = None

    def api_ok(self) -> None:
        """A Bot API call succeeded just now."""
        self._last_api_ok = time.monotonic()

    def api_age(self) -> float | None:
        """Seconds since the last successful Bot API call; None if there was none."""
        if self._last_api_ok is None:
            return None
        return time.monotonic() - self._last_api_ok
