"""Running a blocking library (imapclient) from the event loop: one daemon thread per
connection runs its calls one at a time, in order.

``asyncio.to_thread`` would do the same on the loop's default executor, but the loop waits for
that executor's threads when it closes: a call stuck on a silent server (up to the connection's
timeout, a minute) would then hold ``clerk run`` long after SIGTERM. A call still running on a
daemon thread when clerk exits is simply abandoned with the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class BlockingLane:
    """A daemon thread, started on first use, that runs blocking calls in the order given;
    :meth:`retire` lets it end once the calls given so far are done."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the lane's thread; its result (or exception) here. Cancelling the
        await does not stop the call: the lane finishes it, then goes on with the next."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:  # a job is never queued for a thread that has decided to end
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
            self._jobs.put((loop, future, fn, args))
        return await future

    def retire(self) -> None:
        """Let the thread end after the calls queued so far (a later call starts a new one)."""
        self._jobs.put(None)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            loop, future, fn, args = job
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine, not lost here
                _settle(loop, future, None, exc)
            else:
                _settle(loop, future, result, None)


def _settle(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], result: Any,
            exc: BaseException | None) -> None:
    def settle() -> None:
        if future.done():  # the await was cancelled meanwhile
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
        loop.call_soon_threadsafe(settle)
