"""The server: HTTP on 127.0.0.1, getUpdates, the calls it records, faults on demand, and ways
for a test to wait for what the bot does."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from bot.fakeapi.model import POLL_CAP, ApiCall, Fault, Refused
from bot.fakeapi.people import People
from bot.fakeapi.wire import decode, multipart


class FakeBotAPI(People):
    """The server. ``base_url`` goes into ``BOT_API_BASE_URL``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[ApiCall] = []
        self.refusals: list[ApiCall] = []
        # Called with every answered call as it happens (benchmarks wait on these).
        self.listeners: list[Callable[[ApiCall], None]] = []
        self.faults: list[Fault] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.last_update_id = 0
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()
        self._closing = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def release_polls(self) -> None:
        """Make pending getUpdates return at once (used before stopping the bot)."""
        self._released.set()
        async with self._changed:
            self._changed.notify_all()

    async def stop(self) -> None:
        self._closing.set()
        await self.release_polls()
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections):
                writer.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # --- HTTP -------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                _, path, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if "/file/bot" in path:
                    # A file's contents, as Telegram's file server gives them.
                    content = self.file_contents.get(path.split("/", 3)[-1])
                    missing = b'{"ok":false,"error_code":404,"description":"Not Found"}'
                    status, data, kind = (
                        (200, content, "application/octet-stream")
                        if content is not None
                        else (404, missing, "application/json")
                    )
                else:
                    status, payload = await self._dispatch(path, headers, body)
                    data, kind = json.dumps(payload).encode(), "application/json"
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _dispatch(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        method = path.rsplit("/", 1)[-1]
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/json"):
            params = json.loads(body or b"{}")
        elif content_type.startswith("multipart/form-data"):
            params = decode(multipart(body, content_type))
        else:
            params = decode(dict(parse_qsl(body.decode())))
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.hang:
                # Never answer; the client's read timeout fires first. Ends when the server stops.
                await self._closing.wait()
            return fault.status, self._fault_payload(fault)
        chat_id = params.get("chat_id")
        if method.startswith("send") and isinstance(chat_id, int) and chat_id in self.blocked:
            description = (
                "Forbidden: bot was kicked from the supergroup chat"
                if chat_id < 0
                else "Forbidden: bot was blocked by the user"
            )
            async with self._changed:
                self.refusals.append(ApiCall(method, params, {"error": description}))
                self._changed.notify_all()
            return 403, {"ok": False, "error_code": 403, "description": description}
        try:
            result = self._answer(method, params)
        except Refused as exc:
            refused = ApiCall(method, params, {"error": exc.description})
            async with self._changed:
                self.refusals.append(refused)
                self._changed.notify_all()
            return exc.status, {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
        call = ApiCall(method, params, result)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        for listener in self.listeners:
            listener(call)
        return 200, {"ok": True, "result": result}

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.method != method or fault.times <= 0:
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            return fault
        return None

    @staticmethod
    def _fault_payload(fault: Fault) -> dict[str, Any]:
        payload: dict[str, Any] = {"ok": False, "error_code": fault.status}
        if fault.retry_after is not None:
            payload["description"] = f"Too Many Requests: retry after {fault.retry_after}"
            payload["parameters"] = {"retry_after": fault.retry_after}
        elif fault.migrate_to is not None:
            payload["description"] = "Bad Request: group chat was upgraded to a supergroup chat"
            payload["parameters"] = {"migrate_to_chat_id": fault.migrate_to}
        else:
            payload["description"] = fault.description or "Internal Server Error"
        return payload

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), POLL_CAP)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0 and not self._released.is_set():
            async with self._changed:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: bool(self._updates) or self._released.is_set()
                        ),
                        timeout,
                    )
        return list(self._updates)

    # --- injecting updates ------------------------------------------------------------------

    async def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = self.last_update_id = next(self._update_ids)
        for kind in ("message", "edited_message", "callback_query"):
            body = update.get(kind)
            if body is None:
                continue
            chat = (body.get("message") or {}).get("chat") or body.get("chat") or {}
            if "id" in chat:
                self.known_chats.add(chat["id"])
            if kind == "callback_query":
                self.known_chats.add(body["from"]["id"])
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    # --- faults -----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: int | None = None,
        hang: bool = False,
        chat_id: int | None = None,
        migrate_to: int | None = None,
        description: str = "",
    ) -> None:
        self.faults.append(
            Fault(method, status, times, retry_after, hang, chat_id, migrate_to, description)
        )

    # --- waiting for the bot ----------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[ApiCall], bool], *, after: int = 0, timeout: float = 5.0
    ) -> ApiCall:
        """The first recorded call from index ``after`` on that matches; waits until it comes."""

        def found() -> ApiCall | None:
            return next((c for c in self.calls[after:] if predicate(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        result = found()
        assert result is not None
        return result

    async def reply_to(
        self, chat_id: int, *, after: int, method: str = "sendMessage", timeout: float = 5.0
    ) -> ApiCall:
        return await self.wait_for(
            lambda c: c.method == method and c.params.get("chat_id") == chat_id,
            after=after,
            timeout=timeout,
        )

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[ApiCall]:
        return [c for c in self.calls if c.method == method and c.params.get("chat_id") == chat_id]

    def message_of(self, call: ApiCall) -> dict[str, Any]:
        """The message as it stands now (after edits) that a send call created."""
        return self.messages[(call.params["chat_id"], call.result["message_id"])]
