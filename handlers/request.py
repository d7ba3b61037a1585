"""The HTTP client PTB talks to the Bot API with: aiohttp, noting each successful call for
/healthz.

PTB's own client (httpx) spent about 1.1 ms of CPU on each request here, half of what a prompt
of a large round cost the bot (docs/performance.md); aiohttp does the same request in about a
third of that. PTB lets any ``BaseRequest`` stand in for its own; this one keeps PTB's timeouts
and its mapping of failures (``TimedOut``: maybe delivered; ``NetworkError``: not).
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlencode

import aiohttp
import certifi
from aiohttp import BasicAuth
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

from bot.metrics import Metrics

# PTB's defaults for HTTPXRequest (seconds).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0
# Bytes a second below which an upload counts as stalled (a 50 MB zip: 13 minutes).
UPLOAD_FLOOR = 64 * 1024
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _upload_bound(files: UploadFileDict | None, timeouts: tuple[float | None, ...]) -> float | None:
    """How long an upload may take in all. httpx's write timeout bounds each write, aiohttp has
    none, so a peer that stops reading a file would hold the request for ever: the upload is
    bounded instead by its timeouts plus its size at UPLOAD_FLOOR. Anything else is bounded by
    its reads alone (``sock_read``, as httpx's read timeout): a large download that keeps
    coming is never cut off, nor a long poll."""
    if not files or None in timeouts:
        return None
    size = sum(len(content) for _, content, _ in files.values() if isinstance(content, bytes))
    return sum(t or 0.0 for t in timeouts) + size / UPLOAD_FLOOR


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` over one aiohttp session with a kept-alive connection pool."""

    def __init__(self, connection_pool_size: int = 1) -> None:
        self._pool_size = connection_pool_size
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": self.USER_AGENT}
        # HTTPS_PROXY and friends from the environment are honoured, as httpx did, read once
        # per host: aiohttp's trust_env reads them in a worker thread on every request.
        self._proxies: dict[tuple[str, str | None], tuple[URL | None, BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # certifi's roots, as httpx used: the same servers are trusted as before.
            context = ssl.create_default_context(cafile=certifi.where())
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=context),
                headers=self._headers,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else {}
        body: bytes | aiohttp.FormData | None = None
        headers: dict[str, str] | None = None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif fields:
            body, headers = urlencode(fields).encode(), FORM
        read = _given(read_timeout, READ_TIMEOUT)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        connect = _given(connect_timeout, CONNECT_TIMEOUT)
        pool = _given(pool_timeout, POOL_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            total=_upload_bound(files, (read, write, connect, pool)),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        target = URL(url)  # parsed once, for the proxy and the request alike
        try:
            async with session.request(
                method, target, data=body, headers=headers, timeout=timeout, **self._proxy(target)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc

    def _proxy(self, url: URL) -> dict[str, Any]:
        origin = (url.scheme, url.host)
        if origin not in self._proxies:
            try:
                self._proxies[origin] = get_env_proxy_for_url(url)
            except LookupError:
                self._proxies[origin] = (None, None)
        proxy, auth = self._proxies[origin]
        return {"proxy": proxy, "proxy_auth": auth}


class RecordingRequest(AiohttpRequest):
    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            self._metrics.api_ok()
        return code, payload
