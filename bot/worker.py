"""The bot inside ``clerk run``: long-polling for updates, and sending the chat outbox. Off (no
worker) unless the token's environment variable is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit

from telegram.error import InvalidToken, TelegramError

from bot.answers import AnswerFirst
from bot.app import ClerkBot, build_application, set_commands
from bot.outbox import ChatDrain, drain_chat_outbox
from bot.polling import Poller
from clerk.app import Clerk
from clerk.config import secret
from clerk.outage import Outage
from clerk.workers import Worker

log = logging.getLogger("clerk.bot")
ALLOWED_UPDATES = ("message", "callback_query")


class TelegramBot:
    """One bot: ``run(stop)`` polls and sends until ``stop`` is set; ``once()`` sends what is due."""

    def __init__(self, app: Clerk, token: str, *, poll_timeout: float = 10,
                 drain_interval: float = 1.0, retry_start: float = 30.0) -> None:
        self.app = app
        self.application = build_application(app, token)
        self.poll_timeout = poll_timeout
        self.drain_interval = drain_interval
        self.retry_start = retry_start

    @property
    def answers(self) -> AnswerFirst:
        processor = self.application.update_processor
        assert isinstance(processor, AnswerFirst)
        return processor

    @property
    def bot(self) -> ClerkBot:
        bot = self.application.bot
        assert isinstance(bot, ClerkBot)
        return bot

    @property
    def wake(self) -> asyncio.Event:
        event: asyncio.Event = self.application.bot_data["wake"]
        return event

    async def _initialize(self, stop: asyncio.Event) -> bool:
        """Connect (getMe) and set the command menu; if Telegram cannot be reached, keep trying
        until stopped. A refused token turns the bot off (and says so)."""
        where = urlsplit(self.bot.base_url).netloc  # (the path holds the token)
        outage = Outage(f"the Telegram Bot API at {where}", log, self.app.clock, tz=self.app.tz,
                        consequence=f"the bot starts when it can be reached (trying every "
                                    f"{self.retry_start:.0f} s)")
        while not stop.is_set():
            try:
                await self.application.initialize()
            except InvalidToken:
                log.error("the Telegram token in $%s was refused; the bot is off",
                          self.app.config.telegram.token_env)
                return False
            except TelegramError as exc:
                outage.failed(str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry_start)
                continue
            outage.succeeded()
            try:
                await set_commands(self.application)
            except TelegramError as exc:  # the menu is a nicety: carry on without it
                log.warning("could not set the bot's command menu: %s", exc)
            return True
        return False

    async def run(self, stop: asyncio.Event) -> None:
        if not await self._initialize(stop):
            return
        application = self.application
        await application.start()
        poller = Poller(application, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES)
        polling = asyncio.create_task(poller.run(stop))
        log.info("telegram bot @%s is polling for updates", application.bot.username)
        try:
            while not stop.is_set() and not polling.done():
                await self.answers.turn()  # pressed buttons are answered first
                try:
                    _log(await drain_chat_outbox(self.app, self.bot, stop=stop))
                except Exception:
                    log.exception("chat outbox pass failed")
                await self._pause(stop)
        finally:
            if not stop.is_set():  # left for another reason: the poller would go on
                polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling  # on stop, it marks what was handled as read, then returns
            await application.stop()
            await application.shutdown()

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the next pass: the interval, an update handled, or stop."""
        self.wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
        _done, pending = await asyncio.wait(waiters, timeout=self.drain_interval,
                                            return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def once(self) -> None:
        """``clerk run --once``: send the chat messages due now, without polling."""
        await self.once_until(asyncio.Event())

    async def once_until(self, stop: asyncio.Event) -> None:
        """As :meth:`once`; when ``stop`` is set, the messages not yet sent are put back."""
        try:
            await self.application.initialize()
        except TelegramError as exc:
            log.warning("cannot reach Telegram (%s); chat messages wait for the next run", exc)
            return
        try:
            _log(await drain_chat_outbox(self.app, self.bot, stop=stop), always=True)
        finally:
            await self.application.shutdown()


def _log(report: ChatDrain, *, always: bool = False) -> None:
    if always or report.sent or report.failed or report.released:
        put_back = f"; {report.released} put back to send when clerk runs again" \
            if report.released else ""
        log.info("chat outbox: %d sent, %d to retry, %d failed%s", report.sent, report.retrying,
                 report.failed, put_back)


def workers(app: Clerk) -> list[Worker]:
    """The bot's worker, or none when no token is configured."""
    token = secret(app.config.telegram.token_env)
    if not token:
        return []
    bot = TelegramBot(app, token)
    return [Worker("telegram bot", bot.run, bot.once, bot.once_until)]
