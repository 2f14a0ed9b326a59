"""Never silence: unexpected text gets help, a button that no longer applies says so, and an
error says something went wrong. A refusal from a service (a :class:`ClerkError`) is answered
with its reason, so handlers stay one step each."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.handlers.common import Context, edit, render, send
from clerk.errors import ClerkError

log = logging.getLogger("clerk.bot")


async def help_text(update: Update, context: Context) -> None:
    """Anything no other handler understood."""
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        message = update.effective_message
        if message is not None and message.text and message.text.startswith("/"):
            await send(update, render("private_only"))
        return
    await send(update, render("help", reason=""))


async def stale_button(update: Update, context: Context) -> None:
    """A button from an old message (a finished conversation, a restart)."""
    await edit(update, render("stale", reason="it belongs to a conversation that has ended; "
                                              "please start again (/start lists what I can do)"))


async def on_error(update: object, context: Context) -> None:
    """A service said no (answered with its reason), or something broke (logged, apologised)."""
    error = context.error
    if not isinstance(update, Update):
        log.error("telegram error outside an update: %s", error)
        return
    if isinstance(error, ClerkError):
        reason = str(error)
        if update.callback_query is not None:  # answered on arrival (bot.answers)
            await edit(update, render("stale", reason=reason))
        else:
            await send(update, render("refused", reason=reason))
        return
    log.error("handling update %s failed", update.update_id, exc_info=error)
    with contextlib.suppress(TelegramError):
        await send(update, render("error"))
