"""The bot's HTTP client: a small pool of keep-alive connections, and a FIFO queue in front of it.

PTB's default (``HTTPXRequest`` with up to 256 connections) falls over under a burst: 200 button
presses at once open ~200 connections, and httpcore's pool does its bookkeeping on every request
and every response by walking all its connections (a quadratic idle count, and a ``poll()`` per
idle socket to see whether the server hung up) and all its queued requests. Measured in
``bench/bench_bot.py``, that bookkeeping was over half the bot's CPU time during the burst, and
the bot's event loop was saturated for seconds, so the ``answerCallbackQuery`` calls reached the
server seconds late.

:class:`BoundedRequest` keeps the pool small (:data:`CONNECTIONS`, reused with keep-alive) and
makes requests beyond that wait their turn on an ``asyncio.Semaphore`` (FIFO, O(1) per request)
rather than in httpcore's queue. Long polling has its own request object (PTB's default, one
connection), so ``getUpdates`` never waits behind the bot's answers.
"""

from __future__ import annotations

import asyncio

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import HTTPXRequest, RequestData

#: Requests in flight at once (each on its own keep-alive connection). Telegram answers on
#: loopback in about a millisecond and over the internet in tens: 32 at once is ~600 answers a
#: second at 50 ms each, far above what the 30-messages-a-second flood limit lets a bot send.
CONNECTIONS = 8


class BoundedRequest(HTTPXRequest):
    """``HTTPXRequest`` with at most ``connections`` requests in flight; the rest queue, in order,
    before the connection pool rather than inside it."""

    def __init__(self, connections: int = CONNECTIONS, **kwargs: object) -> None:
        super().__init__(connection_pool_size=connections, **kwargs)  # type: ignore[arg-type]
        self.connections = connections
        self._slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        # created on first use, inside the running loop (the bot may be built outside it)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.connections)
        return self._slots

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        async with self.slots:
            return await super().do_request(url, method, request_data, read_timeout,
                                            write_timeout, connect_timeout, pool_timeout)
