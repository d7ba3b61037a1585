"""``METRICS_PORT``: ``/healthz`` (database, scheduler, Bot API; 503 when one fails) and
``/metrics`` (Prometheus), on a small HTTP server of the standard library's asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.clock import Clock
from bot.metrics import Metrics

log = logging.getLogger(__name__)

# Each check answers None when healthy, else what is wrong.
Check = Callable[[], Awaitable[str | None]]
Depth = Callable[[], Awaitable[tuple[int, datetime | None]]]


class HealthServer:
    def __init__(
        self, metrics: Metrics, checks: Mapping[str, Check], depth: Depth, clock: Clock
    ) -> None:
        self._metrics = metrics
        self._checks = checks
        self._depth = depth
        self._clock = clock
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)
        log.info("health and metrics on http://%s:%s/healthz and /metrics", host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)).strip():
                pass  # headers: nothing here needs them
            parts = request.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else ""
            if path == "/healthz":
                status, body, kind = await self.health()
            elif path == "/metrics":
                status, body, kind = 200, await self.scrape(), CONTENT_TYPE_LATEST
            else:
                status, body, kind = 404, b"not found\n", "text/plain"
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError) as exc:
            log.debug("health request dropped: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

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
