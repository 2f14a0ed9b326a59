"""The bot's HTTP client (``bot/request.py``, PTB's ``BaseRequest`` over aiohttp) against small
HTTP servers on loopback: a silent server times out as PTB's ``TimedOut``, a closed port is a
``NetworkError``, no more requests are in flight than the pool allows (the rest wait their turn
and all get answered), a file goes up as ``multipart/form-data``, and PTB's ``Bot`` works through
it end to end."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from bot.request import AiohttpRequest
from tests.botapi import TOKEN, FakeBotApi

Handler = Callable[[bytes, bytes], Awaitable[bytes | None]]
OK = b'{"ok": true, "result": true}'


async def serve(handler: Handler) -> tuple[asyncio.Server, str]:
    """An HTTP/1.1 keep-alive server: ``handler(head, body)`` returns the JSON to send back, or
    None to say nothing."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length) if length else b""
                payload = await handler(head, body)
                if payload is None:
                    await asyncio.sleep(3600)
                assert payload is not None
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def test_a_server_that_never_answers_times_out() -> None:
    async def silent(head: bytes, body: bytes) -> bytes | None:
        return None

    async def scenario() -> None:
        server, url = await serve(silent)
        request = AiohttpRequest(read_timeout=0.3, write_timeout=0.1)
        await request.initialize()
        try:
            with pytest.raises(TimedOut):
                await request.post(f"{url}/bot{TOKEN}/getMe")
        finally:
            await request.shutdown()
            server.close()

    asyncio.run(scenario())


def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends

    async def scenario() -> None:
        request = AiohttpRequest()
        await request.initialize()
        try:
            with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
                await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        finally:
            await request.shutdown()

    asyncio.run(scenario())


def test_no_more_requests_are_in_flight_than_the_pool_allows_and_all_are_answered() -> None:
    in_flight = 0
    most = 0

    async def slow(head: bytes, body: bytes) -> bytes | None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return OK

    async def scenario() -> list[object]:
        server, url = await serve(slow)
        request = AiohttpRequest(connections=4)
        await request.initialize()
        try:
            return await asyncio.gather(*(request.post(f"{url}/bot{TOKEN}/answerCallbackQuery"
                                                       f"?callback_query_id={i}")
                                          for i in range(40)))
        finally:
            await request.shutdown()
            server.close()

    assert asyncio.run(scenario()) == [True] * 40
    assert most == 4


def test_a_file_goes_up_as_multipart_form_data() -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def record(head: bytes, body: bytes) -> bytes | None:
        seen.append((head, body))
        return (b'{"ok": true, "result": {"message_id": 1, "date": 0, "chat": {"id": 5, '
                b'"type": "private"}, "document": {"file_id": "f", "file_unique_id": "u"}}}')

    async def scenario() -> None:
        server, url = await serve(record)
        bot = Bot(TOKEN, base_url=f"{url}/bot", request=AiohttpRequest())
        await bot.request.initialize()  # no getMe: sending needs only the request
        try:
            await bot.send_document(5, InputFile(b"agenda text", filename="agenda.txt"),
                                    caption="The agenda")
        finally:
            await bot.request.shutdown()
            server.close()

    asyncio.run(scenario())
    head, body = seen[0]
    assert b"multipart/form-data" in head.lower()
    assert b'filename="agenda.txt"' in body and b"agenda text" in body
    assert b"The agenda" in body


def test_ptb_works_through_it_and_a_request_before_initialize_is_refused() -> None:
    async def scenario() -> None:
        with FakeBotApi() as api:
            request = AiohttpRequest()
            with pytest.raises(NetworkError, match="not initialized"):
                await request.post(f"{api.base_url}{TOKEN}/getMe")
            async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
                assert bot.username == "clerk_test_bot"
                sent = await bot.send_message(7, "hello")
                assert sent.text == "hello"
            assert [c.method for c in api.calls] == ["getMe", "sendMessage"]

    asyncio.run(scenario())
