"""Sending the chat outbox: claim what is due, send each message once, and record each outcome as
soon as it is known. No database transaction is open while Telegram is awaited.

Every message goes in the bulk lane of the bot's flood limiter (:mod:`bot.flood_limits`): the
claimed messages wait there one by one, each going only while no reply to a person is waiting, so
a fan-out of hundreds of cards never holds up the answer to someone typing or pressing a button.
A message Telegram refuses with 429 comes straight back here and is queued again for after
``retry_after``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.app import ClerkBot
from bot.flood_limits import Lane
from bot.handlers.common import MAX_TEXT, markup
from clerk.app import Clerk
from clerk.services import chat_outbox
from clerk.services.chat_outbox import ChatMessage

log = logging.getLogger("clerk.bot")
#: Messages claimed (and rendered) at a time.
BATCH = 50


@dataclass
class ChatDrain:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def _send(app: Clerk, bot: ClerkBot, message: ChatMessage, report: ChatDrain) -> None:
    try:
        sent = await bot.send_message(message.chat_id, message.text[:MAX_TEXT],
                                      reply_markup=markup(message.buttons),
                                      rate_limit_args=Lane.BULK)
    except (Forbidden, BadRequest) as exc:  # blocked by the user, chat gone: do not retry
        chat_outbox.mark_failed(app, message.id, f"{type(exc).__name__}: {exc}")
        report.failed += 1
    except RetryAfter as exc:
        retry = exc.retry_after
        after = retry if isinstance(retry, timedelta) else timedelta(seconds=float(retry))
        status = chat_outbox.mark_retry(app, message.id, f"flood limit: {exc}", after)
        setattr(report, "failed" if status == "failed" else "retrying",
                getattr(report, "failed" if status == "failed" else "retrying") + 1)
    except TelegramError as exc:  # network trouble: try again later
        status = chat_outbox.mark_retry(app, message.id, f"{type(exc).__name__}: {exc}")
        if status == "failed":
            report.failed += 1
        else:
            report.retrying += 1
    else:
        chat_outbox.mark_sent(app, message.id, sent.message_id)
        report.sent += 1


async def drain_chat_outbox(app: Clerk, bot: ClerkBot, *, batch: int = BATCH) -> ChatDrain:
    """Send everything due now, ``batch`` messages claimed at a time (about two seconds' worth:
    claiming renders the cards, on the event loop). The bot wakes this after every update, so
    the usual case (nothing due) is a read, without taking the write lock."""
    report = ChatDrain()
    if not chat_outbox.has_due(app):
        return report
    while True:
        messages = chat_outbox.claim_due(app, batch)
        if not messages:
            return report
        await asyncio.gather(*(_send(app, bot, m, report) for m in messages))
        if report.retrying:
            return report  # the rest waits for the next pass
