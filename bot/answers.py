"""Every pressed button is answered the moment its update arrives, before any work is done.

Telegram shows a pressed button spinning until the bot answers its callback query, and asks bots
to answer at once. When 200 members press Attending on the same reminder, each answer is a small
request (~0.3 ms of the bot's CPU), but the work behind a press is several times that: PTB
turning the update into objects (~0.3 ms), and recording the reply (a transaction and an audit
event, ~1 ms). Done in the order the presses came, the last spinner would wait for all of it.

So clerk answers at the door. :class:`AnswerFirst` is the bot's update processor (PTB's hook for
running updates concurrently) and keeps count of the answers in flight:

* :meth:`AnswerFirst.answer_buttons` is called by the poller (:mod:`bot.polling`) with each batch
  of raw updates as it arrives, and answers every callback query in it at once (an empty answer:
  what the button did is shown by editing its message, which the handler does);
* everything else waits for a :meth:`AnswerFirst.turn`: turning updates into objects, and each
  update's handler. A turn is given only while no answer is in flight, and one at a time, once
  per pass of the event loop, so that a batch arriving meanwhile has its buttons answered before
  the remaining work goes on.

Turns are given in the order they were asked for, so updates are handled in the order they came.
Handlers never answer a callback query themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Iterable
from typing import Any
from urllib.parse import urlencode

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger("clerk.bot")
#: Answers sent at once (each on a connection of the bot's request pool, which holds 16).
ANSWERERS = 16
#: Seconds an answer may take: work waits while answers are in flight, and an answer is only
#: the end of a spinner, so a slow one is given up (and logged) rather than holding up the work.
ANSWER_TIMEOUT = 3.0


class AnswerFirst(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` updates at once; buttons answered before work is done."""

    def __init__(self, max_concurrent_updates: int, *, answerers: int = ANSWERERS) -> None:
        super().__init__(max_concurrent_updates)
        self.answerers = answerers
        self.in_flight = 0  # answers queued or being sent
        self._to_answer: deque[tuple[Bot, str]] = deque()
        self._senders = 0
        self._answering: set[asyncio.Task[None]] = set()
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._scheduled = False

    def answer_buttons(self, bot: Bot, raw_updates: Iterable[dict[str, Any]]) -> int:
        """Answer every callback query among ``raw_updates`` (as Telegram sent them), in order,
        without waiting for the answers; returns how many were queued."""
        queued = 0
        for raw in raw_updates:
            query = raw.get("callback_query")
            if isinstance(query, dict) and query.get("id"):
                self._to_answer.append((bot, str(query["id"])))
                queued += 1
        self.in_flight += queued
        while self._to_answer and self._senders < min(self.answerers, len(self._to_answer)):
            self._senders += 1
            task = asyncio.create_task(self._answer_queued())
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        return queued

    async def _answer_queued(self) -> None:
        """One of at most ``answerers`` senders: answers queued queries one after another. It
        counts itself out in the same step as it finds the queue empty, so a batch queued just
        then always finds a sender."""
        try:
            while self._to_answer:
                bot, query_id = self._to_answer.popleft()
                try:
                    await _answer(bot, query_id)
                finally:
                    self.in_flight -= 1
                    self._schedule()
        finally:
            self._senders -= 1

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await self.turn()
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Let the answers in flight finish (each is bounded by the request's timeouts)."""
        if self._answering:
            await asyncio.gather(*self._answering, return_exceptions=True)

    async def turn(self) -> None:
        """Return when the caller may do its work: at once if nothing waits, else when no answer
        is in flight and the callers before this one have had their turn."""
        if not self.in_flight and not self._waiting:
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(ready)
        self._schedule()
        await ready

    def _schedule(self) -> None:
        if not self._scheduled and self._waiting and not self.in_flight:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._give_turn)

    def _give_turn(self) -> None:
        """Wake the first waiting caller; the next one is woken on the loop's next pass, after
        this one has run up to its next ``await`` (and only if no answer is in flight then)."""
        self._scheduled = False
        if self.in_flight:
            return
        while self._waiting:
            ready = self._waiting.popleft()
            if not ready.done():  # a cancelled caller leaves its future cancelled
                ready.set_result(None)
                break
        self._schedule()


async def _answer(bot: Bot, query_id: str) -> None:
    """``answerCallbackQuery`` with no text. Straight to the request object, the parameter in the
    query string (the Bot API takes either): PTB's method layer and rate limiter (which does not
    limit answers) cost half as much again as the request itself."""
    url = f"{bot.base_url}/answerCallbackQuery?{urlencode({'callback_query_id': query_id})}"
    try:
        await bot.request.post(url, read_timeout=ANSWER_TIMEOUT, write_timeout=ANSWER_TIMEOUT,
                               connect_timeout=ANSWER_TIMEOUT)
    except BadRequest as exc:  # an old query (a redelivered update): nothing spins any more
        log.debug("callback query %s not answered: %s", query_id, exc)
    except TelegramError as exc:
        log.warning("could not answer a pressed button (%s); it is handled all the same", exc)
