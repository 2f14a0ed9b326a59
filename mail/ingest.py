"""From raw bytes to a service call: the one path every incoming message takes, whether it came
by IMAP, from the local Maildir, or from a file given to ``clerk mail ingest``.

The message is decoded (:func:`mail.mime.parse_message`), checked for automation
(:func:`mail.automation.classify_automation`) and for a reply key
(:func:`mail.keys.find_reply_key`), and handed to :func:`clerk.services.inbox.handle_inbound`,
which decides and records. :func:`ingest` never raises because of a message: one that cannot
be handled is quarantined with the reason (its bytes kept). Only the store failing raises, and
then the caller keeps the message to try again.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from clerk.app import Clerk
from clerk.services.inbound_mail import Automation, InboundMail, InboundResult
from clerk.services.inbox import handle_inbound, own_addresses, quarantine_inbound
from mail.automation import classify_automation
from mail.keys import find_reply_key
from mail.mime import IncomingMail, parse_message

log = logging.getLogger(__name__)


def understand(app: Clerk, parsed: IncomingMail, raw: bytes) -> InboundMail:
    """What the services need to know about a decoded message."""
    mail = app.config.mail
    verdict = classify_automation(parsed, own_addresses(mail))
    automation = None if verdict is None else Automation(
        kind=verdict.kind, reason=verdict.reason, failed_recipients=tuple(verdict.failed_recipients),
        permanent=verdict.permanent, statuses=dict(verdict.statuses))
    return InboundMail(
        raw=raw, raw_sha256=parsed.raw_sha256, message_id=parsed.message_id,
        from_addr=parsed.from_addr, subject=parsed.subject, fresh_text=parsed.fresh_text,
        reply_key=find_reply_key(parsed, mail.reply_local_part),
        automation=automation, auth_results=tuple(parsed.header_all("Authentication-Results")))


def ingest(app: Clerk, raw: bytes, *, source: str, uidvalidity: int | None = None,
           uid: int | None = None, received_at: datetime | None = None) -> InboundResult:
    """Handle one raw message; a message that cannot be handled comes back quarantined."""
    parsed: IncomingMail | None = None
    try:
        parsed = parse_message(raw)
        return handle_inbound(app, understand(app, parsed, raw), source=source,
                              uidvalidity=uidvalidity, uid=uid, received_at=received_at)
    except sqlite3.OperationalError:
        raise  # the store is unavailable (locked, disk full): not this message's fault
    except Exception as exc:
        log.exception("could not handle an incoming message; it is quarantined")
        return quarantine_inbound(
            app, raw, reason=f"clerk could not handle it ({type(exc).__name__}: {exc})",
            source=source, message_id=parsed.message_id if parsed else "",
            from_addr=parsed.from_addr if parsed else "",
            subject=parsed.subject if parsed else "", uidvalidity=uidvalidity, uid=uid,
            received_at=received_at)
