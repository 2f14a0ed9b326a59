"""Telegram's flood limits, with two lanes: a reply to a person goes ahead of a bulk send.

Telegram allows a bot about 30 messages a second in all, one a second in a chat (short bursts
tolerated), and 20 a minute in a group; beyond that it answers 429 with ``retry_after``. Every
request that names a chat (a message sent or edited) passes through :class:`FloodLimiter`, PTB's
hook for this (``ExtBot(rate_limiter=...)``), in one of two lanes (:class:`Lane`):

* **interactive** (the default): the answer to a person's own action, a typed message, a booking
  step, the edit that shows what a pressed button did. It waits only for a free slot in the last
  second's 30.
* **bulk**: the chat outbox (:mod:`bot.outbox`): invitation and reminder fan-outs, an observer's
  offered place. A bulk message goes only while no interactive one is waiting, is decided one
  message at a time (never a batch at once), is paced evenly, and uses at most 20 of a second's
  30 slots, fewer while people are using the bot (:attr:`FloodLimits.bulk_per_second`), so that
  a burst of replies during a fan-out finds free slots at once. It also keeps one message a
  second per chat. (A fan-out of 200 cards takes about 10 s rather than 7: nobody waits on a
  card, and someone always waits on a reply.)

The overall limit is a sliding window: in any second (and 50 ms) at most ``per_second`` requests
go, whatever their lane (a token bucket, as PTB's AIORateLimiter uses, lets a full bucket's burst
through on top of a second's rate: up to 60 in the first second of a fan-out). PTB's limiter
queues every request in one first-come line, so a reply typed during a fan-out waited behind up
to 100 queued cards (about 3 s); it is not used.

When Telegram answers 429 anyway, every lane waits ``retry_after``; an interactive request is then
tried again (up to ``max_retries`` times), a bulk one is handed back (the outbox queues it again
for after ``retry_after``), so that a flood never holds the interactive lane behind old bulk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("clerk.bot")

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class Lane(Enum):
    """Which line a request waits in (PTB's ``rate_limit_args``; a member is always truthy)."""

    INTERACTIVE = "interactive"
    BULK = "bulk"
    #: A bulk request whose slot the caller has already taken (:meth:`FloodLimiter.acquire`):
    #: the chat outbox does, so that it knows which messages never left when clerk stops.
    GRANTED = "granted"


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's published limits, and how much of them bulk sends may use."""

    per_second: int = 30
    #: Bulk sends use at most this many of a second's slots (and are paced at this rate), less
    #: one for each interactive request in the last second: while people are using the bot, the
    #: free slots are about twice what they use, and a busy bot pauses the fan-out.
    bulk_per_second: int = 20
    #: Seconds between two bulk messages to one chat (any message to it counts).
    chat_interval: float = 1.0
    group_per_minute: int = 20
    group_window: float = 60.0
    #: Times an interactive request is tried again after a 429.
    max_retries: int = 3
    #: The window of ``per_second``: a second, and 50 ms for the requests' travel (Telegram counts
    #: them as they arrive, and a request may leave a few ms after its slot was given).
    window: float = 1.05


class _Waiter:
    """One request waiting for its slot."""

    __slots__ = ("chat", "future")

    def __init__(self, future: asyncio.Future[None], chat: int | None) -> None:
        self.future = future
        self.chat = chat


class FloodLimiter(BaseRateLimiter[Lane]):
    """The bot's rate limiter: one sliding window shared by two lanes (see the module)."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._sent: deque[float] = deque()  # when each of the last second's requests went
        self._sent_interactive: deque[float] = deque()  # those in the interactive lane
        self._interactive: deque[_Waiter] = deque()
        self._bulk: deque[_Waiter] = deque()
        self._next_bulk = 0.0
        self._blocked_until = 0.0
        self._chat_last: dict[int, float] = {}  # chat -> when its last message went
        self._chat_locks: dict[int, asyncio.Lock] = {}  # bulk: one waiting per chat
        self._chat_users: dict[int, int] = {}
        self._groups: dict[int | str, deque[float]] = {}
        self._timer: asyncio.TimerHandle | None = None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def process_request(self, callback: Callback, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: Lane | None) -> bool | dict[str, Any] | list[dict[str, Any]]:
        lane = rate_limit_args or Lane.INTERACTIVE
        chat = data.get("chat_id")
        if chat is None:  # not a message (getMe, answerCallbackQuery, setMyCommands...)
            return await callback(*args, **kwargs)
        chat_id = _chat_id(chat)
        tries = 1 if lane is not Lane.INTERACTIVE else self.limits.max_retries + 1
        for attempt in range(tries):
            if lane is not Lane.GRANTED:
                await self.acquire(lane, chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc) + 0.1
                loop = asyncio.get_running_loop()
                self._blocked_until = max(self._blocked_until, loop.time() + wait)
                if attempt == tries - 1:
                    raise
                log.info("Telegram asked to wait %.1f s (flood limit); trying again", wait)
        raise AssertionError("unreachable")

    async def acquire(self, lane: Lane, chat: int | str | None = None) -> None:
        """Return when a request in ``lane`` (to ``chat``) may go; its slot is then taken.
        Cancelled while waiting, nothing is taken but what a group's limit counted."""
        lane = Lane.INTERACTIVE if lane is Lane.INTERACTIVE else Lane.BULK
        if isinstance(chat, str) or (chat is not None and chat < 0):  # a group or a channel
            await self._group_slot(chat)
        private = chat if isinstance(chat, int) else None
        if lane is Lane.INTERACTIVE or private is None:
            await self._slot(lane, private)
            return
        # bulk: one at a time per chat, a chat interval after the chat's last message
        lock = self._chat_locks.get(private)
        if lock is None:
            lock = self._chat_locks[private] = asyncio.Lock()
        self._chat_users[private] = self._chat_users.get(private, 0) + 1
        try:
            async with lock:
                loop = asyncio.get_running_loop()
                while (wait := self._chat_last.get(private, -1e9) + self.limits.chat_interval
                       - loop.time()) > 0:
                    await asyncio.sleep(wait)
                await self._slot(lane, private)
        finally:
            self._chat_users[private] -= 1
            if not self._chat_users[private]:
                del self._chat_users[private], self._chat_locks[private]

    async def _slot(self, lane: Lane, chat: int | None) -> None:
        loop = asyncio.get_running_loop()
        queue = self._interactive if lane is Lane.INTERACTIVE else self._bulk
        if not queue and self._may_go(lane, loop.time()) and \
                (lane is Lane.INTERACTIVE or not self._interactive):
            self._grant(lane, chat, loop.time())
            return
        waiter = _Waiter(loop.create_future(), chat)
        queue.append(waiter)
        self._dispatch()
        try:
            await waiter.future
        except asyncio.CancelledError:  # (if granted just then, the slot stays used: safe)
            with contextlib.suppress(ValueError):
                queue.remove(waiter)
            self._dispatch()
            raise

    def _may_go(self, lane: Lane, now: float) -> bool:
        if now < self._blocked_until:
            return False
        self._expire(now)
        if lane is Lane.INTERACTIVE:
            return len(self._sent) < self.limits.per_second
        room = self.limits.bulk_per_second - len(self._sent_interactive)
        return len(self._sent) < room and now >= self._next_bulk

    def _expire(self, now: float) -> None:
        edge = now - self.limits.window
        for sent in (self._sent, self._sent_interactive):
            while sent and sent[0] <= edge:
                sent.popleft()

    def _grant(self, lane: Lane, chat: int | None, now: float) -> None:
        self._sent.append(now)
        if lane is Lane.INTERACTIVE:
            self._sent_interactive.append(now)
        if lane is Lane.BULK:
            interval = self.limits.window / self.limits.bulk_per_second
            late = now - self._next_bulk
            self._next_bulk = (self._next_bulk if 0 <= late < interval else now) + interval
        if chat is not None:
            self._chat_last[chat] = now
            if len(self._chat_last) > 4096:
                edge = now - self.limits.chat_interval
                self._chat_last = {c: t for c, t in self._chat_last.items() if t > edge}

    def _dispatch(self) -> None:
        """Wake the waiters that may go now, interactive first; else set a timer for when the
        first of them may."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            for queue in (self._interactive, self._bulk):
                while queue and queue[0].future.done():  # cancelled while waiting
                    queue.popleft()
            if self._interactive:
                lane, queue = Lane.INTERACTIVE, self._interactive
            elif self._bulk:
                lane, queue = Lane.BULK, self._bulk
            else:
                return
            if not self._may_go(lane, now):
                self._timer = loop.call_at(self._free_at(lane, now), self._dispatch)
                return
            waiter = queue.popleft()
            self._grant(lane, waiter.chat, now)
            waiter.future.set_result(None)

    def _free_at(self, lane: Lane, now: float) -> float:
        """When a request in ``lane`` may next go (the window is expired up to ``now``); for a
        bulk one, when the window next changes, to look again."""
        at = self._blocked_until
        if lane is Lane.INTERACTIVE:
            if len(self._sent) >= self.limits.per_second:
                at = max(at, self._sent[len(self._sent) - self.limits.per_second]
                         + self.limits.window)
        else:
            room = self.limits.bulk_per_second - len(self._sent_interactive)
            if len(self._sent) >= room and self._sent:
                at = max(at, self._sent[0] + self.limits.window)
            at = max(at, self._next_bulk)
        return max(at, now + 0.0005)

    async def _group_slot(self, group: int | str) -> None:
        """At most ``group_per_minute`` messages a minute to one group (both lanes)."""
        loop = asyncio.get_running_loop()
        if len(self._groups) > 1024:
            edge = loop.time() - self.limits.group_window
            self._groups = {g: t for g, t in self._groups.items() if t and t[-1] > edge}
        sent = self._groups.setdefault(group, deque())
        limit, period = self.limits.group_per_minute, self.limits.group_window
        while True:
            now = loop.time()
            while sent and sent[0] <= now - period:
                sent.popleft()
            if len(sent) < limit:
                sent.append(now)
                return
            await asyncio.sleep(sent[0] + period - now)


def _chat_id(value: Any) -> int | str:
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)  # "@channelname"


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB 22 keeps it as a timedelta; its public
    ``retry_after`` property warns about a coming change of type)."""
    value = getattr(exc, "_retry_after", 1)
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)
