"""What ``/healthz`` (database, scheduler, Bot API; 503 when one fails) and ``/metrics``
(Prometheus) answer; the bot's web server (handlers/web) serves them."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from prometheus_client import generate_latest

from bot.clock import Clock
from bot.metrics import Metrics

log = logging.getLogger(__name__)

# Each check answers None when healthy, else what is wrong.
Check = Callable[[], Awaitable[str | None]]
Depth = Callable[[], Awaitable[tuple[int, datetime | None]]]


class HealthChecks:
    def __init__(
        self, metrics: Metrics, checks: Mapping[str, Check], depth: Depth, clock: Clock
    ) -> None:
        self._metrics = metrics
        self._checks = checks
        self._depth = depth
        self._clock = clock

    async def health(self) -> tuple[int, bytes, str]:
        results: dict[str, object] = {}
        failing = False
        for name, check in self._checks.items():
            problem = await check()
            results[name] = problem or "ok"
            failing = failing or problem is not None
        age = self._metrics.api_age()
        results["bot_api_last_ok_seconds"] = round(age, 1) if age is not None else None
        results["status"] = "fail" if failing else "ok"
        body = json.dumps(results, ensure_ascii=False).encode() + b"\n"
        return (503 if failing else 200), body, "application/json"

    async def scrape(self) -> bytes:
        depth, oldest = await self._depth()
        self._metrics.outbox_depth.set(depth)
        age = (self._clock.now() - oldest).total_seconds() if oldest else 0.0
        self._metrics.outbox_oldest_seconds.set(max(age, 0.0))
        api_age = self._metrics.api_age()
        self._metrics.api_last_ok_seconds.set(api_age if api_age is not None else -1)
        return generate_latest(self._metrics.registry)
