"""Sending the chat outbox: claim what is due, send each message once, and record each outcome as
soon as it is known. No database transaction is open while Telegram is awaited.

Every message goes in the bulk lane of the bot's flood limiter (:mod:`bot.flood_limits`): the
claimed messages wait there one by one, each going only while no reply to a person is waiting, so
a fan-out of hundreds of cards never holds up the answer to someone typing or pressing a button.
A message Telegram refuses with 429 comes straight back here and is queued again for after
``retry_after``; one that fails otherwise is tried again as the chat outbox's retry policy says
(:data:`clerk.rules.retry.CHAT`). Claiming renders the chat copies of emails (a meeting or ballot
card) with :func:`clerk.chat.cards.render_mirrored`, which this adapter passes to the outbox.

When clerk stops, the messages still waiting for their turn are put back in the queue at once
(:func:`clerk.outbox.chat.release`), and only those already handed to Telegram are
waited for: they go out after the restart, once, rather than when a claim's lease ends."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.app import ClerkBot
from bot.flood_limits import FloodLimiter, Lane
from bot.handlers.common import MAX_TEXT, markup
from clerk.app import Clerk
from clerk.chat import render_mirrored
from clerk.outbox import ChatMessage
from clerk.outbox import chat as chat_outbox

log = logging.getLogger("clerk.bot")
#: Messages claimed (and rendered) at a time.
BATCH = 50


@dataclass
class ChatDrain:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0  # put back unsent when clerk stopped

    def count_retry(self, status: str) -> None:
        """A failed send, queued again or (by the retry policy) given up."""
        if status == "failed":
            self.failed += 1
        else:
            self.retrying += 1


async def _send(app: Clerk, bot: ClerkBot, message: ChatMessage, report: ChatDrain,
                handed: set[int]) -> None:
    limiter = bot.rate_limiter
    assert isinstance(limiter, FloodLimiter), "the bot is built by bot.app"
    await limiter.acquire(Lane.BULK, message.chat_id)  # cancelled here, nothing was sent
    handed.add(message.id)
    try:
        sent = await bot.send_message(message.chat_id, message.text[:MAX_TEXT],
                                      reply_markup=markup(message.buttons),
                                      rate_limit_args=Lane.GRANTED)
    except (Forbidden, BadRequest) as exc:  # blocked by the user, chat gone: do not retry
        chat_outbox.mark_failed(app, message.id, f"{type(exc).__name__}: {exc}")
        report.failed += 1
    except RetryAfter as exc:  # after the wait Telegram asks for
        retry = exc.retry_after
        after = retry if isinstance(retry, timedelta) else timedelta(seconds=float(retry))
        report.count_retry(chat_outbox.mark_retry(app, message.id, f"flood limit: {exc}", after))
    except TelegramError as exc:  # network trouble: try again later (or give up)
        report.count_retry(chat_outbox.mark_retry(app, message.id,
                                                  f"{type(exc).__name__}: {exc}"))
    else:
        chat_outbox.mark_sent(app, message.id, sent.message_id)
        report.sent += 1


async def drain_chat_outbox(app: Clerk, bot: ClerkBot, *, batch: int = BATCH,
                            stop: asyncio.Event | None = None) -> ChatDrain:
    """Send everything due now, ``batch`` messages claimed at a time (about two seconds' worth:
    claiming renders the cards, on the event loop), until ``stop`` is set. The bot wakes this
    after every update, so the usual case (nothing due) is a read, without the write lock."""
    report = ChatDrain()
    if not chat_outbox.has_due(app):
        return report
    while stop is None or not stop.is_set():
        messages = chat_outbox.claim_due(app, render_mirrored, batch)
        if not messages:
            return report
        await _send_batch(app, bot, messages, report, stop)
        if report.retrying:
            return report  # the rest waits for the next pass
    return report


async def _send_batch(app: Clerk, bot: ClerkBot, messages: list[ChatMessage], report: ChatDrain,
                      stop: asyncio.Event | None) -> None:
    """Send the claimed messages (each waits for its turn in the bulk lane). If ``stop`` is set
    meanwhile, or this is cancelled, the messages not yet handed to Telegram are put back."""
    handed: set[int] = set()
    sends = {asyncio.create_task(_send(app, bot, m, report, handed)): m for m in messages}
    stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
    try:
        pending = set(sends)
        while pending and (stopping is None or not stopping.done()):
            waiters = pending | ({stopping} if stopping is not None else set())
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            pending = {t for t in pending if not t.done()}
    except asyncio.CancelledError:  # cancelled: the messages in hand too (they stay claimed)
        for task in sends:
            task.cancel()
        raise
    finally:
        if stopping is not None:
            stopping.cancel()
        unsent = [m.id for task, m in sends.items() if not task.done() and m.id not in handed]
        for task, m in sends.items():
            if m.id not in handed:
                task.cancel()
        if unsent:
            chat_outbox.release(app, unsent)
            report.released += len(unsent)
    in_flight = [t for t in sends if not t.done()]
    if in_flight:  # stopping: the messages in hand finish (each bounded by the request timeouts)
        await asyncio.wait(in_flight)
    failures = [t.exception() for t in sends if t.done() and not t.cancelled()]
    for exc in failures:
        if exc is not None:
            raise exc
