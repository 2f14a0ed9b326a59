"""Fetching updates from Telegram (long polling) and handing them to PTB's Application.

This does what PTB's ``Updater.start_polling`` does (long polling, offsets, retrying after
network errors, marking the last updates read when stopping), with two differences that keep
pressed buttons answered quickly when many arrive at once (:mod:`bot.answers`):

* each batch is read as plain JSON, and its buttons are answered before PTB turns the updates
  into objects (which costs ~0.3 ms an update);
* the next long poll is sent as soon as a batch has arrived, not after it has been handed on, so
  a second batch is answered while the first is still being parsed and handled.

PTB documents this way in: ``ApplicationBuilder.updater(None)``, and updates put on
``Application.update_queue``. Updates that cannot be parsed are logged (their id and fields, not
their content) and skipped; the others of the batch go on. Telegram out of reach is logged once,
reminded every few minutes, and once when it is back (:class:`clerk.outage.Outage`).

Telegram forgets a batch once the next poll asks for what follows it. On a clean stop every
fetched batch is handed on and handled before clerk stops; if the process is killed, a batch
fetched in its last moments may be lost, as with PTB's own Updater (its buttons were answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.answers import AnswerFirst
from bot.app import ClerkApplication, ClerkBot
from bot.flood_limits import retry_seconds
from clerk.app import Clerk
from clerk.outage import Outage

log = logging.getLogger("clerk.bot")

#: Parsed and queued this many updates at a time, each group in its own turn.
CHUNK = 10
RETRY_MAX = 30.0


class Poller:
    """``run(stop)`` polls until ``stop`` is set (or the token is refused)."""

    def __init__(self, application: ClerkApplication, *, timeout: float,
                 allowed_updates: Sequence[str]) -> None:
        self.application = application
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.offset: int | None = None
        assert isinstance(application.bot, ClerkBot), "the bot is built by bot.app"
        self.bot = application.bot
        processor = application.update_processor
        assert isinstance(processor, AnswerFirst), "the bot is built with bot.answers.AnswerFirst"
        self.answers = processor
        clerk: Clerk = application.bot_data["clerk"]
        where = urlsplit(self.bot.base_url).netloc  # (the path holds the token)
        self.outage = Outage(f"the Telegram Bot API at {where}", log, clerk.clock, tz=clerk.tz,
                             consequence="the bot keeps trying (at most every "
                                         f"{RETRY_MAX:.0f} s); chat messages wait")

    async def run(self, stop: asyncio.Event) -> None:
        try:  # a webhook and polling exclude each other (if this fails, getUpdates says why)
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as exc:
            log.warning("could not remove a webhook before polling: %s", exc)
        batches: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue()
        handing = asyncio.create_task(self._hand_on(batches))
        try:
            await self._poll(stop, batches)
        finally:
            batches.put_nowait(None)  # what was fetched is handed on before stopping
            await handing
            await self._mark_read()

    async def _poll(self, stop: asyncio.Event,
                    batches: asyncio.Queue[list[dict[str, Any]] | None]) -> None:
        """Long polls, one after another: each batch's buttons are answered as it arrives, and
        the next poll goes out at once, while the batch waits for its turn to be handed on."""
        delay = 0.0
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        fetch: asyncio.Future[Any] | None = None
        try:
            while not stop.is_set():
                fetch = fetch or asyncio.ensure_future(self._get_updates(self.timeout))
                await asyncio.wait([fetch, stopping], return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    return
                try:
                    batch = fetch.result()
                except TimedOut:
                    batch, delay = [], 0.0
                except RetryAfter as exc:
                    batch, delay = [], retry_seconds(exc) + 0.5
                except InvalidToken:
                    log.error("the Telegram token was refused; the bot stops polling")
                    return
                except TelegramError as exc:
                    delay = 1.0 if delay == 0 else min(RETRY_MAX, delay * 1.5)
                    self.outage.failed(str(exc))
                    batch = []
                else:
                    delay = 0.0
                    self.outage.succeeded()
                fetch = None
                if batch:
                    self.offset = batch[-1]["update_id"] + 1
                    # the next poll goes out first, then this batch's buttons are answered
                    fetch = asyncio.ensure_future(self._get_updates(self.timeout))
                    self.answers.answer_buttons(self.bot, batch)
                    batches.put_nowait(batch)
                elif delay:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(stopping), delay)
        finally:
            stopping.cancel()
            if fetch is not None and not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch

    async def _get_updates(self, timeout: float) -> list[dict[str, Any]]:
        return await self.bot.get_raw_updates(self.offset, timeout, self.allowed_updates)

    async def _hand_on(self, batches: asyncio.Queue[list[dict[str, Any]] | None]) -> None:
        """Parse each batch and queue its updates for the Application, a few per turn, in the
        order they came; ``None`` ends."""
        while (batch := await batches.get()) is not None:
            for start in range(0, len(batch), CHUNK):
                await self.answers.turn()
                for raw in batch[start:start + CHUNK]:
                    self._put(raw)

    def _put(self, raw: dict[str, Any]) -> None:
        try:
            update = Update.de_json(raw, self.bot)
        except Exception:  # its content is not logged: it is a person's message
            fields = ", ".join(k for k in raw if k != "update_id") or "nothing"
            log.exception("update %s from Telegram (with %s) could not be read and is skipped",
                          raw.get("update_id"), fields)
            return
        self.application.update_queue.put_nowait(update)

    async def _mark_read(self) -> None:
        """Confirm the updates handed on, so that a restart does not fetch them again."""
        if self.offset is None:
            return
        try:
            await self._get_updates(0)
        except TelegramError as exc:
            log.warning("could not mark the last updates read (%s); a restart may see them "
                        "again (each is handled once)", exc)

