"""The bot's HTTP client: a small pool of keep-alive connections, with a FIFO queue in front of it.

PTB's default (``HTTPXRequest`` allowing 256 connections) does badly under a burst. 200 button
presses at once open ~200 connections, and httpcore's pool does its bookkeeping on every request
and every response by walking all its connections (counting the idle ones once per idle
connection, and asking each idle socket with a ``poll()`` whether the server hung up) and all
the requests queued in it. Profiled under ``bench/bench_bot.py``, that bookkeeping took 3.3 s of
the bot's 8.5 s of CPU during the burst: the event loop was saturated for seconds, and the
``answerCallbackQuery`` calls reached the server seconds late.

:class:`BoundedRequest` allows :data:`CONNECTIONS` requests in flight (on as many keep-alive
connections); the rest wait their turn, in order, on an ``asyncio.Semaphore`` (O(1) each) rather
than in httpcore's queue. A request waiting for a turn is not subject to PTB's ``pool_timeout``:
it goes when a connection is free. Long polling has its own request object (PTB builds a
separate one-connection client for ``getUpdates``), so fetching updates never waits behind the
bot's answers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest

#: Requests in flight at once. httpcore's cost per request grows with the pool (measured on
#: loopback: 1.4 ms of CPU a request with one connection, 2.3 ms with 8, 4.9 ms with 32), while
#: against Telegram itself the round trip (tens of milliseconds) calls for some concurrency: 16
#: at 30 ms is ~500 answers a second, far more than the 30 messages a second Telegram allows.
CONNECTIONS = 16


class BoundedRequest(HTTPXRequest):
    """``HTTPXRequest`` with at most ``connections`` requests in flight; the others queue, in
    order, before the connection pool rather than inside it."""

    def __init__(self, connections: int = CONNECTIONS, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=connections, **kwargs)
        self.connections = connections
        self._turns: asyncio.Semaphore | None = None

    @property
    def turns(self) -> asyncio.Semaphore:
        """Created on first use, inside the running loop (the bot is built before it starts)."""
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.connections)
        return self._turns

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self.turns:
            return await super().do_request(*args, **kwargs)
