"""The HTTP client PTB talks to the Bot API with, noting each successful call for /healthz."""

from __future__ import annotations

from typing import Any

from telegram.request import HTTPXRequest

from bot.metrics import Metrics


class RecordingRequest(HTTPXRequest):
    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            self._metrics.api_ok()
        return code, payload
