"""The adapters' work that one-shot commands and the console ask for: ``clerk mail
ingest|read|send`` and a kept message shown or replayed (the mail adapter), and ``clerk schedule``
(the deadline planner). The command line calls these, so that in
``clerk`` only the composition root imports ``mail`` and ``scheduler``; each function loads its
part of an adapter when called, so a command loads only what it needs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from clerk.app import Clerk
from clerk.mail_in.review import ShownMessage, StoredMessage, note_replay
from clerk.times import from_iso

if TYPE_CHECKING:
    from clerk.mail_in import InboundOutcome
    from mail.imap_reader import ReadReport
    from mail.sender import DrainReport
    from scheduler.plan import PlannedJob


def ingest_files(app: Clerk, raws: Sequence[bytes]) -> Iterator[InboundOutcome]:
    """Raw messages read from files, handled as if they had arrived in the inbox, in order."""
    from mail.ingest import ingest_many

    return ingest_many(app, raws, source="file")


def read_inbox_once(app: Clerk) -> tuple[str, ReadReport]:
    """One pass over the configured inbox (IMAP, else the local Maildir), to the end: where it
    is, and what was read."""
    from mail.worker import make_reader

    reader = make_reader(app)

    async def once() -> ReadReport:
        try:
            return await reader.drain_once()
        finally:
            await reader.close()

    return reader.where, asyncio.run(once())


def send_outbox(app: Clerk, *,
                on_progress: Callable[[DrainReport], None] | None = None) -> DrainReport:
    """One pass over the outbox: send what is due now, at the configured pace."""
    from mail.sender import send_outbox as send

    return send(app, on_progress=on_progress)


def next_due(app: Clerk, limit: int) -> list[PlannedJob]:
    """The deadlines due next, earliest first (overdue ones first of all)."""
    from scheduler.plan import next_due as planned

    return planned(app, limit)


#: The headers a person is shown of a kept message.
SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To")


def show_message(app: Clerk, raw: bytes) -> ShownMessage:
    """A kept message decoded for reading (the console's inbox); what clerk makes of it is None
    when it cannot make sense of it, and the message is still shown as it is."""
    from mail.ingest import understand
    from mail.mime import parse_message

    parsed = parse_message(raw)
    try:
        mail = understand(app, parsed, raw)
    except Exception:  # shown all the same
        mail = None
    return ShownMessage(
        headers=tuple((name, value) for name in SHOWN_HEADERS
                      for value in parsed.header_all(name)),
        text=parsed.text, html_only=bool(parsed.html) and not parsed.text,
        attachments=tuple(parsed.attachments), mail=mail)


def replay_message(app: Clerk, message: StoredMessage, *, actor: str,
                   channel: str) -> InboundOutcome:
    """Read a kept message again as it arrived (its source, IMAP uid and time received), and
    record who replayed it and what became of it."""
    from mail.ingest import ingest

    line = message.line
    outcome = ingest(app, message.raw, source=line.source, uidvalidity=message.uidvalidity,
                     uid=message.uid, received_at=from_iso(line.received_at))
    note_replay(app, message, outcome, actor=actor, channel=channel)
    return outcome
