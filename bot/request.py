"""The bot's HTTP client: python-telegram-bot's ``BaseRequest`` over an aiohttp session.

PTB's default, ``HTTPXRequest``, costs 1.5-3 ms of the bot's CPU per Bot API request on the
two-core machines clerk runs on (httpx and httpcore are pure Python, and httpcore's pool walks
every connection on every request). A burst of 200 button presses is 400 requests (the answer
and the confirming edit of each), all on the bot's one event loop: that was most of a second
before the last button was answered. aiohttp parses HTTP in C and keeps its pool in O(1): about
0.4 ms a request, measured the same way (``bench/bench_bot.py`` prints the result in use).

At most ``connections`` requests are in flight, on as many keep-alive connections; the others
wait their turn in aiohttp's connector, in order. Waiting for a turn is not bounded by a timeout
(``pool_timeout`` is accepted and ignored): a request goes when a connection is free, and every
request in flight is bounded by the read timeout, so the queue always moves. Long polling has
its own object (one connection), so fetching updates never waits behind the bot's answers.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: Requests in flight at once. Against Telegram a round trip is tens of milliseconds, so 16
#: connections carry ~500 requests a second: far more than the 30 messages a second it allows.
CONNECTIONS = 16
FORM = "application/x-www-form-urlencoded"


class AiohttpRequest(BaseRequest):
    """Bot API requests over one ``aiohttp.ClientSession`` (created in :meth:`initialize`,
    inside the running event loop, and closed in :meth:`shutdown`)."""

    def __init__(self, connections: int = CONNECTIONS, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": self.USER_AGENT}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections,
                                             limit_per_host=self.connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        write = self._write_timeout if write_timeout is BaseRequest.DEFAULT_NONE else write_timeout
        connect = (self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE
                   else connect_timeout)
        # sock_read bounds each wait for the server; sending the (small) request is bounded by
        # the write timeout on top of it
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect,
                                        sock_read=_sum(read, write))
        body: Any = None
        headers = self._headers
        if request_data is not None:
            if request_data.contains_files:
                body = _form(request_data)
            else:
                body = urlencode(request_data.json_parameters).encode()
                headers = {**self._headers, "Content-Type": FORM}
        try:
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, asyncio.TimeoutError) as exc:  # noqa: UP041 (aiohttp raises either)
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _sum(*timeouts: float | None) -> float | None:
    """None (no limit) if any part is unlimited."""
    return None if any(t is None for t in timeouts) else sum(t for t in timeouts if t is not None)


def _form(request_data: RequestData) -> aiohttp.FormData:
    """``multipart/form-data`` for a request that uploads files (clerk sends none today; kept so
    the class is a whole ``BaseRequest``)."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *rest = part
        form.add_field(name, content, filename=filename,
                       content_type=rest[0] if rest else "application/octet-stream")
    return form
