"""The facilitator and the chair: /status MEETING, and the chair's Approve the agenda button."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.handlers.common import Context, Handler, chat_id, clerk_of, edit, evidence, send, update_key
from clerk.chat import ApproveInChat, approve_agenda_in_chat, meeting_status, status_menu
from clerk.outbox.chat_text import parse


async def status(update: Update, context: Context) -> None:
    app = clerk_of(context)
    if context.args:
        await send(update, meeting_status(app, chat_id(update), context.args[0]))
    else:
        await send(update, status_menu(app, chat_id(update)))


async def status_pick(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await edit(update, meeting_status(clerk_of(context), chat_id(update), parse(query.data)[1]))


async def approve(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await edit(update, approve_agenda_in_chat(clerk_of(context), ApproveInChat(
        chat_id(update), parse(query.data)[1], evidence=evidence(update),
        idempotency_key=update_key(update))))


def handlers() -> list[Handler]:
    return [
        CommandHandler("status", status, filters.ChatType.PRIVATE),
        CallbackQueryHandler(status_pick, pattern=r"^status:\d+$"),
        CallbackQueryHandler(approve, pattern=r"^agenda:\d+:approve$"),
    ]
