"""uvicorn inside the bot's event loop, as PTB's custom-webhook example runs it, started and
stopped with the application (no signal handlers of its own: the bot's main has them)."""

from __future__ import annotations

import logging

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,  # the bot's logging, not uvicorn's own
            access_log=False,
            server_header=False,
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self.host, self.port = host, port

    async def start(self) -> None:
        self._server.config.load()
        self._server.lifespan = self._server.config.lifespan_class(self._server.config)
        try:
            await self._server.startup()
        except SystemExit:  # uvicorn's answer to a port it cannot bind
            self._server.started = False
        if not self._server.started:
            raise OSError(f"the web server could not listen on {self.host}:{self.port}")
        log.info(
            "web server on http://%s:%s (board /app/, /healthz, /metrics)", self.host, self.port
        )

    async def stop(self) -> None:
        if self._server.started:
            self._server.should_exit = True
            await self._server.shutdown()
            self._server.started = False
