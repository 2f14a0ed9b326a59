"""Building the python-telegram-bot Application from clerk's configuration."""

from __future__ import annotations

import asyncio
import warnings

from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application
from telegram.warnings import PTBUserWarning

from bot.handlers import register
from bot.request import BoundedRequest
from clerk.app import Clerk

#: How many updates are handled at once (each handler's database work is short and synchronous,
#: on the event loop's thread; the waiting is all network).
CONCURRENT_UPDATES = 512

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


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu Telegram shows (``post_init`` runs only under ``run_polling``, and clerk
    starts the bot inside its own event loop, so the worker calls this after ``initialize``)."""
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])


def build_application(app: Clerk, token: str, *,
                      concurrency: int = CONCURRENT_UPDATES) -> Application:  # type: ignore[type-arg]
    """The bot for this configuration: the token, ``telegram.api_url`` if set (a local Bot API
    server), a bounded pool of connections (:mod:`bot.request`), Telegram's flood limits kept by
    PTB's AIORateLimiter, and clerk's handlers."""
    builder = (Application.builder().token(token)
               .request(BoundedRequest())
               .rate_limiter(AIORateLimiter(max_retries=3))
               .concurrent_updates(concurrency)
               .job_queue(None))
    if app.config.telegram.api_url:
        builder = builder.base_url(app.config.telegram.api_url.rstrip("/"))
    with warnings.catch_warnings():
        # per_message=False is what we want: a booking is one conversation per chat.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        application = builder.build()
        application.bot_data["clerk"] = app
        application.bot_data["wake"] = asyncio.Event()
        register(application)
    return application
