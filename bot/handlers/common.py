"""What every handler shares: the clerk context, evidence for the audit log, sending a reply."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from clerk.app import Clerk
from clerk.chat import ChatReply, Rows
from clerk.messages import render_chat

log = logging.getLogger("clerk.bot")
MAX_TEXT = 4096  # Telegram's limit for one message

Context = ContextTypes.DEFAULT_TYPE


def clerk_of(context: Context) -> Clerk:
    app: Clerk = context.application.bot_data["clerk"]
    return app


def chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def evidence(update: Update) -> dict[str, Any]:
    """What the audit log keeps of an update: its ids, never the person's Telegram ids."""
    out: dict[str, Any] = {"update_id": update.update_id}
    if update.callback_query is not None:
        out["callback_query_id"] = update.callback_query.id
        out["callback_data"] = update.callback_query.data or ""
    elif update.effective_message is not None:
        out["message_id"] = update.effective_message.message_id
    return out


def update_key(update: Update) -> str:
    """An idempotency key: the same update delivered twice is one operation."""
    return f"telegram:update:{update.update_id}"


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in rows])


def as_reply(reply: ChatReply | str) -> ChatReply:
    return reply if isinstance(reply, ChatReply) else ChatReply(reply)


async def send(update: Update, reply: ChatReply | str) -> None:
    """Reply in the chat the update came from."""
    r = as_reply(reply)
    message = update.effective_message
    if message is not None:
        await message.reply_text(r.text[:MAX_TEXT], reply_markup=markup(r.buttons))
    elif update.effective_chat is not None:
        await update.effective_chat.send_message(r.text[:MAX_TEXT], reply_markup=markup(r.buttons))


async def edit(update: Update, reply: ChatReply | str) -> None:
    """Replace the message whose button was pressed (unchanged text is not an error)."""
    r = as_reply(reply)
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(BadRequest):  # "message is not modified": a double tap
        await query.edit_message_text(r.text[:MAX_TEXT], reply_markup=markup(r.buttons))


def render(template: str, /, **context: Any) -> str:
    return render_chat(template, **context)
