"""From raw bytes to a service call: the one path every incoming message takes, whether it came
by IMAP, from the local Maildir, or from a file given to ``clerk mail ingest``.

The message is decoded (:func:`mail.mime.parse_message`), checked for automation
(:func:`mail.automation.classify_automation`) and for a reply key
(:func:`mail.keys.find_reply_key`), and handed to :func:`clerk.mail_in.inbox.handle_inbound`,
which decides and records. :func:`ingest` never raises because of a message: one that cannot
be handled is quarantined with the reason (its bytes kept). Only the store failing raises, and
then the caller keeps the message to try again.
"""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from clerk.app import Clerk
from clerk.config import MailSettings
from clerk.mail_in.inbox import handle_inbound, own_addresses, quarantine_inbound
from clerk.mail_in.message import Automation, InboundMail, InboundOutcome
from clerk.reading import read_calendar_reply
from mail.automation import classify_automation
from mail.keys import find_reply_key
from mail.mime import ParsedMessage, parse_message

log = logging.getLogger(__name__)


def understand(app: Clerk, parsed: ParsedMessage, raw: bytes) -> InboundMail:
    """What the services need to know about a parsed message (the wire format stays here)."""
    return _understand(app.config.mail, parsed, raw)


def _understand(mail: MailSettings, parsed: ParsedMessage, raw: bytes) -> InboundMail:
    verdict = classify_automation(parsed, own_addresses(mail))
    automation = None if verdict is None else Automation(
        kind=verdict.kind, reason=verdict.reason, failed_recipients=tuple(verdict.failed_recipients),
        permanent=verdict.permanent, statuses=dict(verdict.statuses),
        original_ids=tuple(verdict.original_ids))
    return InboundMail(
        raw=raw, raw_sha256=parsed.raw_sha256, message_id=parsed.message_id,
        from_addr=parsed.from_addr, subject=parsed.subject, fresh_text=parsed.fresh_text,
        reply_key=find_reply_key(parsed, mail.reply_local_part),
        automation=automation, auth_results=tuple(parsed.header_all("Authentication-Results")),
        calendar_reply=read_calendar_reply(parsed.calendar) if parsed.calendar else None,
        answered_ids=parsed.answered_ids)


def ingest(app: Clerk, raw: bytes, *, source: str, uidvalidity: int | None = None,
           uid: int | None = None, received_at: datetime | None = None) -> InboundOutcome:
    """Handle one raw message; a message that cannot be handled comes back quarantined."""
    return _handle(app, raw, None, source=source, uidvalidity=uidvalidity, uid=uid,
                   received_at=received_at)


def _handle(app: Clerk, raw: bytes, decoded: InboundMail | None, *, source: str,
            uidvalidity: int | None = None, uid: int | None = None,
            received_at: datetime | None = None) -> InboundOutcome:
    """Decode (unless already done) and hand over; quarantine whatever cannot be handled."""
    try:
        if decoded is None:
            decoded = understand(app, parse_message(raw), raw)
        return handle_inbound(app, decoded, source=source, uidvalidity=uidvalidity, uid=uid,
                              received_at=received_at)
    except sqlite3.OperationalError:
        raise  # the store is unavailable (locked, disk full): not this message's fault
    except Exception as exc:
        log.exception("could not handle an incoming message; it is quarantined")
        return quarantine_inbound(
            app, raw, reason=f"clerk could not handle it ({type(exc).__name__}: {exc})",
            source=source, message_id=decoded.message_id if decoded else "",
            from_addr=decoded.from_addr if decoded else "",
            subject=decoded.subject if decoded else "", uidvalidity=uidvalidity, uid=uid,
            received_at=received_at)


# ----------------------------------------------------------------------------- many at once
# Replaying a batch (``clerk mail ingest`` with many files) decodes in a second process while
# this one records: decoding is pure and about a third of the work, and the machine has two
# cores. Results come back in order; recording stays here, on the one database connection.

_WORKER_MAIL: MailSettings | None = None
BATCH_AT_LEAST = 200  # below this, starting a process costs more than it saves


def _start_worker(mail: MailSettings) -> None:
    global _WORKER_MAIL
    _WORKER_MAIL = mail


def _decode(raw: bytes) -> InboundMail | None:
    """In the worker: parse and understand, or None if that fails (the caller then takes the
    ordinary path, which quarantines the message with the reason)."""
    assert _WORKER_MAIL is not None
    try:
        return _understand(_WORKER_MAIL, parse_message(raw), raw)
    except Exception:
        return None


def ingest_many(app: Clerk, raws: Sequence[bytes], *, source: str) -> Iterator[InboundOutcome]:
    """:func:`ingest` for each message, in order, decoding in a worker process when many."""
    if len(raws) < BATCH_AT_LEAST:
        for raw in raws:
            yield ingest(app, raw, source=source)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_worker,
                             initargs=(app.config.mail,)) as pool:
        for raw, decoded in zip(raws, pool.map(_decode, raws, chunksize=64), strict=True):
            yield _handle(app, raw, decoded, source=source)
