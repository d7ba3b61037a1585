"""The Bot API client (handlers/request.py) as PTB expects one: bodies, failures, proxies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.request import AiohttpRequest

OK = json.dumps({"ok": True, "result": True}).encode()


@asynccontextmanager
async def server(
    *, answer: bool = True, trickle: float = 0.0
) -> AsyncIterator[tuple[int, list[bytes]]]:
    """An HTTP server on 127.0.0.1 that records each request; it answers 200 or never, a
    byte every ``trickle`` seconds if given."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            ),
            0,
        )
        seen.append(head + await reader.readexactly(length))
        try:
            if not answer:
                await asyncio.sleep(30)
            whole = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (
                len(OK),
                OK,
            )
            step = 1 if trickle else len(whole)
            for at in range(0, len(whole), step):
                writer.write(whole[at : at + step])
                await writer.drain()
                await asyncio.sleep(trickle)
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield listening.sockets[0].getsockname()[1], seen
    finally:
        listening.close()


def data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connection_pool_size=4)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_parameters_go_form_encoded_and_files_as_multipart(
    request_: AiohttpRequest,
) -> None:
    async with server() as (port, seen):
        url = f"http://127.0.0.1:{port}/botT/sendMessage"
        code, body = await request_.do_request(url, "POST", data(chat_id=5, text="进展 & more"))
        assert (code, body) == (200, OK)
        assert b"application/x-www-form-urlencoded" in seen[0]
        assert seen[0].endswith(b"chat_id=5&text=%E8%BF%9B%E5%B1%95+%26+more")
        document = data(chat_id=5, document=InputFile(b"PK\x03\x04", filename="a.zip"))
        await request_.do_request(url, "POST", document)
        assert b"multipart/form-data" in seen[1] and b'name="chat_id"' in seen[1]
        assert b'filename="a.zip"' in seen[1] and b"PK\x03\x04" in seen[1]


async def test_no_answer_is_timed_out_and_no_server_a_network_error(
    request_: AiohttpRequest,
) -> None:
    async with server(answer=False) as (port, _):
        with pytest.raises(TimedOut):  # it may have been delivered: the outbox counts it so
            await request_.do_request(
                f"http://127.0.0.1:{port}/botT/sendMessage", "POST", read_timeout=0.2
            )
    async with server() as (port, _):
        pass  # closed: nothing listens on the port any more
    with pytest.raises(NetworkError) as refused:
        await request_.do_request(f"http://127.0.0.1:{port}/botT/getMe", "POST")
    assert not isinstance(refused.value, TimedOut)


async def test_an_answer_that_keeps_coming_is_not_cut_off(request_: AiohttpRequest) -> None:
    """Only a read that waits longer than the read timeout fails, as with httpx: a long
    download (a photo for the board, a file for /export) may take longer than all the
    timeouts together while every byte comes in time."""
    async with server(trickle=0.01) as (port, _):
        began = asyncio.get_running_loop().time()
        code, body = await request_.do_request(
            f"http://127.0.0.1:{port}/file/botT/photo.jpg",
            "GET",
            read_timeout=0.3,
            write_timeout=0.1,
            connect_timeout=0.1,
            pool_timeout=0.1,
        )
        assert (code, body) == (200, OK)
        assert asyncio.get_running_loop().time() - began > 0.6  # the timeouts' sum


async def test_a_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """As httpx did: deployments that reach Telegram through a proxy set HTTPS_PROXY."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with server() as (port, seen):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        request = AiohttpRequest()
        await request.initialize()
        try:
            url = "http://api.telegram.invalid/botT/getMe"
            assert (await request.do_request(url, "POST"))[0] == 200
        finally:
            await request.shutdown()
    assert seen[0].startswith(b"POST http://api.telegram.invalid/botT/getMe HTTP/1.1")
