"""Registering the handlers: conversations first (a booking, a question, naming a substitute),
then commands and buttons, then the fallbacks that make sure nothing goes unanswered."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import booking, fallback, members, observers, questions, staff
from bot.handlers.common import Context


async def _wake(update: Update, context: Context) -> None:
    """After every update: write the conversations' new states (so a restart finds them), and
    something may have been queued for a chat: send it now."""
    if context.application.persistence is not None:
        await context.application.update_persistence()
    context.application.bot_data["wake"].set()


def register(application: Application[Any, Context, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handlers([
        booking.handler(),
        questions.handler(),
        members.substitute_handler(),
        CommandHandler("start", observers.start, private),
        CommandHandler("help", observers.start, private),
        CommandHandler("meetings", observers.meetings, private),
        CommandHandler("mybookings", observers.my_bookings, private),
        CommandHandler("cancel", observers.cancel_menu, private),
        CallbackQueryHandler(observers.cancel_pick, pattern=r"^cxl:\d+$"),
        CallbackQueryHandler(observers.cancel_answer, pattern=r"^cxl:\d+:(yes|no)$"),
        CallbackQueryHandler(observers.offer_pick, pattern=r"^offer:\d+:(accept|decline)$"),
        *members.handlers(),
        *staff.handlers(),
        CallbackQueryHandler(fallback.stale_button),
        MessageHandler(filters.ALL, fallback.help_text),
    ])
    application.add_handler(TypeHandler(Update, _wake), group=1)
    application.add_error_handler(fallback.on_error)
