"""The mail parts of ``clerk run``: the inbox reader (IMAP when ``[mail.imap]`` is configured,
else the local Maildir) and the outbox sender, woken as soon as a reply queues an answer.

Each result is logged in plain words ("reply from alice@example.org recorded: attending for
Carers Partnership, Thursday 14 January 2027 at 10:00; confirmation queued").
"""

from __future__ import annotations

import asyncio
import logging

from clerk.app import Clerk
from clerk.mail_in import InboundOutcome
from clerk.workers import Worker
from mail.imap_reader import ImapReader, ResultHook
from mail.maildir_reader import MaildirReader
from mail.sender import OutboxSender

log = logging.getLogger("clerk.mail")

OUTBOX_INTERVAL = 5.0


def make_reader(app: Clerk, *, on_result: ResultHook | None = None) -> ImapReader | MaildirReader:
    """The configured inbox: IMAP, or the local Maildir ``<maildir>/inbox``."""
    if app.config.mail.imap is not None:
        return ImapReader(app, on_result=on_result)
    return MaildirReader(app, on_result=on_result)


def log_result(result: InboundOutcome) -> None:
    level = logging.WARNING if result.quarantined else logging.INFO
    log.log(level, "%s", result.summary)


def workers(app: Clerk) -> list[Worker]:
    """The inbox reader and the outbox sender, in that order (so ``clerk run --once`` sends the
    answers to the replies it has just read)."""
    sender = OutboxSender(app, interval=OUTBOX_INTERVAL)

    def on_result(result: InboundOutcome) -> None:
        log_result(result)
        if result.queued:
            sender.wake()

    reader = make_reader(app, on_result=on_result)

    async def read_once(stop: asyncio.Event | None = None) -> None:
        try:
            report = await reader.drain_once(stop)
            if report.results or report.moved_again:
                log.info("inbox: %s", report.message)
        finally:
            await reader.close()

    async def send_once(stop: asyncio.Event | None = None) -> None:
        try:
            report = await sender.drain_once(stop)  # logs what it sent, and a server that is down
            if not (report.sent or report.failed or report.retrying or report.skipped
                    or report.interrupted):
                log.info("outbox: nothing to send")
        finally:
            await sender.transport.close()

    kind = "IMAP" if isinstance(reader, ImapReader) else "Maildir"
    return [
        Worker(f"inbox reader ({kind} {reader.where})", reader.run, once=read_once,
               once_until=read_once, read_to_end=reader.read_to_end),
        Worker(f"outbox sender ({sender.transport.name})", sender.run, once=send_once,
               once_until=send_once),
    ]


__all__ = ["OUTBOX_INTERVAL", "log_result", "make_reader", "workers"]
