"""Building the python-telegram-bot Application from clerk's configuration."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot
from telegram.warnings import PTBUserWarning

from bot.answers import AnswerFirst
from bot.flood_limits import FloodLimiter, Lane
from bot.handlers import register
from bot.handlers.common import Context
from bot.persistence import ConversationStore
from bot.request import AiohttpRequest
from clerk.app import Clerk

#: How many updates are handled at once (each handler's database work is short and synchronous,
#: on the event loop's thread; the waiting is all network).
CONCURRENT_UPDATES = 512
TELEGRAM = "https://api.telegram.org/bot"
#: Seconds allowed for Telegram's answer to a long poll beyond the poll's own timeout.
READ_SLACK = 5.0

COMMANDS = [
    ("meetings", "Upcoming public meetings and places left"),
    ("book", "Book a place as an observer"),
    ("mybookings", "Your bookings"),
    ("cancel", "Cancel a booking (or stop what you are doing)"),
    ("ask", "Send a question for a meeting"),
    ("link", "Link this chat to you, if you are a member: /link EMAIL"),
    ("papers", "The papers of your next meeting"),
    ("status", "A meeting's status, for the facilitator and the chair"),
    ("unlink", "Stop clerk's messages in this chat"),
    ("start", "What this bot does"),
]


async def set_commands(application: ClerkApplication) -> None:
    """The command menu Telegram shows (``post_init`` runs only under ``run_polling``, and clerk
    starts the bot inside its own event loop, so the worker calls this after ``initialize``)."""
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])


class ClerkBot(ExtBot[Lane]):
    """PTB's ExtBot, and one more call: the updates as Telegram sent them (plain JSON), so that
    :mod:`bot.polling` can answer pressed buttons before PTB parses the updates. It knows its
    clerk (``clerk``), so that a reply Telegram could not take is kept in clerk's chat outbox
    (:func:`bot.handlers.common.send`)."""

    def __init__(self, token: str, *, clerk: Clerk, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        with self._unfrozen():
            self.clerk = clerk

    async def get_raw_updates(self, offset: int | None, timeout: float,
                              allowed_updates: list[str]) -> list[dict[str, Any]]:
        result = await self._post(
            "getUpdates", {"offset": offset, "timeout": timeout, "allowed_updates": allowed_updates},
            read_timeout=timeout + READ_SLACK)
        if not isinstance(result, list):
            raise TelegramError(f"getUpdates answered {result!r}")
        return [u for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


#: The Application that :func:`build_application` builds: clerk's bot, PTB's default context and
#: dicts, no job queue.
ClerkApplication = Application[ClerkBot, Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], None]


def build_application(app: Clerk, token: str, *,
                      concurrency: int = CONCURRENT_UPDATES) -> ClerkApplication:
    """The bot for this configuration: the token, ``telegram.api_url`` if set (a local Bot API
    server), aiohttp for the Bot API requests (:mod:`bot.request`), Telegram's flood limits kept by
    :class:`bot.flood_limits.FloodLimiter` (replies to people ahead of bulk sends), and clerk's
    handlers."""
    base_url = (app.config.telegram.api_url or TELEGRAM).rstrip("/")
    bot = ClerkBot(token, clerk=app, base_url=base_url, request=AiohttpRequest(),
                   get_updates_request=AiohttpRequest(connections=1),
                   rate_limiter=FloodLimiter())
    builder = (Application.builder().bot(bot)
               .persistence(ConversationStore(app))  # conversations survive a restart
               .concurrent_updates(AnswerFirst(concurrency))
               .job_queue(None)
               .updater(None))  # clerk polls itself: bot.polling
    with warnings.catch_warnings():
        # per_message=False is what we want: a booking is one conversation per chat.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        application = builder.build()
        application.bot_data["clerk"] = app
        application.bot_data["wake"] = asyncio.Event()
        register(application)
    return application
