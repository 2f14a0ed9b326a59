"""Asking a running inbox reader for a full pass, and waiting for it.

The deadline keeper must see every reply already in the inbox before a reminder or a vote's close
runs. In ``clerk run`` the reader's own loop is running at the same time on the same connection
(possibly in IMAP IDLE), so the keeper never reads it itself: it puts in a request, the loop wakes
(from IDLE or its pause), takes every request made so far, makes one full pass, and answers them
all with that pass's report (or its error). So two passes never interleave, and the connection is
only ever used by the loop that owns it."""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class PassRequests(Generic[T]):
    """Requests for a full pass, answered by the loop that makes the passes."""

    def __init__(self) -> None:
        self._waiting: list[asyncio.Future[T]] = []
        self._wanted: asyncio.Event | None = None

    @property
    def wanted(self) -> asyncio.Event:
        """Set while a request waits (made on first use, inside the running event loop)."""
        if self._wanted is None:
            self._wanted = asyncio.Event()
        return self._wanted

    async def ask(self) -> T:
        """Ask for a pass that starts after this call, and wait for its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        self.wanted.set()
        return await future

    def take(self) -> list[asyncio.Future[T]]:
        """The requests the pass about to start answers (call just before the pass)."""
        taken, self._waiting = self._waiting, []
        self.wanted.clear()
        return taken

    @staticmethod
    def answer(taken: list[asyncio.Future[T]], result: T) -> None:
        for future in taken:
            if not future.done():
                future.set_result(result)

    @staticmethod
    def fail(taken: list[asyncio.Future[T]], exc: BaseException) -> None:
        for future in taken:
            if not future.done():
                future.set_exception(exc)

    def fail_all(self, exc: BaseException) -> None:
        """The loop is stopping: nobody is left waiting for a pass that will not come."""
        self.fail(self.take(), exc)


async def wait_for_any(events: list[asyncio.Event], seconds: float) -> None:
    """Wait ``seconds``, or less if any of ``events`` is set meanwhile."""
    if any(e.is_set() for e in events):
        return
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
