"""What every handler shares: the clerk context, evidence for the audit log, sending a reply."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any, Literal, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler, ExtBot

from bot.flood_limits import Lane
from clerk.app import Clerk
from clerk.messages import render_chat
from clerk.outbox import ChatReply, Rows, queue_reply

log = logging.getLogger("clerk.bot")
MAX_TEXT = 4096  # Telegram's limit for one message
#: ``chat_data`` key: the message of a conversation's current step (the one with its buttons).
STEP_MESSAGE = "step_message"

Context = ContextTypes.DEFAULT_TYPE
#: A handler as a list of handlers holds it: its callback's result is typed ``object`` (PTB's
#: result type is invariant, so a button handler kept in a variable is annotated with this).
Handler = BaseHandler[Update, Context, object]
#: The conversations that can be cut off by a restart (the template says which).
LostConversation = Literal["booking", "question", "substitute"]


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


async def send(update: Update, reply: ChatReply | str) -> Message | None:
    """Reply in the chat the update came from (None if the reply had to wait: see
    :func:`_keep_for_later`)."""
    r = as_reply(reply)
    message = update.effective_message
    try:
        if message is not None:
            return await message.reply_text(r.text[:MAX_TEXT], reply_markup=markup(r.buttons))
        if update.effective_chat is not None:
            return await update.effective_chat.send_message(r.text[:MAX_TEXT],
                                                            reply_markup=markup(r.buttons))
    except (BadRequest, TimedOut):
        raise
    except NetworkError as exc:
        _keep_for_later(update, r, exc)
    return None


async def edit(update: Update, reply: ChatReply | str) -> None:
    """Replace the message whose button was pressed (unchanged text is not an error)."""
    r = as_reply(reply)
    query = update.callback_query
    assert query is not None
    try:
        with contextlib.suppress(BadRequest):  # "message is not modified": a double tap
            await query.edit_message_text(r.text[:MAX_TEXT], reply_markup=markup(r.buttons))
    except TimedOut:
        raise
    except NetworkError as exc:
        _keep_for_later(update, r, exc)


def _keep_for_later(update: Update, reply: ChatReply, exc: NetworkError) -> None:
    """Telegram could not be reached, or answered that it is down (502, 503): nothing was shown,
    so the reply goes to the chat outbox, which sends it when the Bot API is back, once (a new
    message, if it was to replace one). A timeout is not kept: the reply may have arrived."""
    chat = update.effective_chat
    app = getattr(update.get_bot(), "clerk", None)
    if chat is None or not isinstance(app, Clerk):
        raise exc
    digest = hashlib.sha256(reply.text.encode()).hexdigest()[:16]
    queue_reply(app, chat.id, reply, key=f"{update_key(update)}:reply:{digest}")
    log.warning("Telegram did not take a reply (%s); it is sent when Telegram is back", exc)


# --- the steps of a conversation ------------------------------------------------------------
# A conversation (a booking, a question) shows its buttons on one message at a time: the step
# the person is at. When it moves on, by a new message or by ending, the buttons of the step
# before are taken away, so that nothing on the screen offers what no longer applies.

def _step_message(context: Context) -> int | None:
    held = context.chat_data.get(STEP_MESSAGE) if context.chat_data is not None else None
    return held if isinstance(held, int) else None


def _remember_step(context: Context, message_id: int | None) -> None:
    if context.chat_data is None:
        return
    if message_id is None:
        context.chat_data.pop(STEP_MESSAGE, None)
    else:
        context.chat_data[STEP_MESSAGE] = message_id


def _drop_buttons(update: Update, context: Context, keep: int | None = None) -> None:
    """Take the buttons off the last step's message (unless it is ``keep``), after the reply
    and in the bulk lane of the flood limiter (:mod:`bot.flood_limits`): it is only tidying, and
    never holds up an answer to anyone."""
    held = _step_message(context)
    if held is None or held == keep or update.effective_chat is None:
        return
    _remember_step(context, None)
    context.application.create_task(_bare(context, update.effective_chat.id, held))


async def _bare(context: Context, chat: int, message_id: int) -> None:
    try:
        bot = cast("ExtBot[Lane]", context.bot)  # built with clerk's FloodLimiter (bot.app)
        await bot.edit_message_reply_markup(chat, message_id, reply_markup=None,
                                            rate_limit_args=Lane.BULK)
    except TelegramError as exc:  # gone, already bare, or Telegram out of reach: only cosmetic
        log.debug("could not take the buttons off message %s: %s", message_id, exc)


async def step_send(update: Update, context: Context, reply: ChatReply | str) -> None:
    """:func:`send` for a conversation: the previous step loses its buttons."""
    r = as_reply(reply)
    sent = await send(update, r)
    _drop_buttons(update, context)
    if r.buttons and sent is not None:
        _remember_step(context, sent.message_id)


async def step_edit(update: Update, context: Context, reply: ChatReply | str) -> None:
    """:func:`edit` for a conversation: the pressed message is the step now (the one before it,
    if another, loses its buttons)."""
    r = as_reply(reply)
    query = update.callback_query
    assert query is not None
    pressed = query.message.message_id if query.message is not None else None
    await edit(update, r)
    _drop_buttons(update, context, keep=pressed)
    _remember_step(context, pressed if r.buttons else None)


def render(template: str, /, **context: Any) -> str:
    return render_chat(template, **context)


async def conversation_lost(update: Update, context: Context, what: LostConversation) -> int:
    """A step of a conversation whose earlier answers were lost (the bot restarted in between:
    only the step is kept, see :mod:`bot.persistence`): say so, and end it."""
    reply = render("conversation_lost", what=what)
    if update.callback_query is not None:
        await step_edit(update, context, reply)
    else:
        await step_send(update, context, reply)
    return ConversationHandler.END
