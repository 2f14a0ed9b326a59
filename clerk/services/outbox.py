"""The outbox: a message is composed and queued in the same transaction as the change that caused
it, and sent afterwards by the mail adapter. Queuing the same ``dedupe_key`` twice queues once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

from sqlite_utils import Database

from clerk.config import MailSettings
from clerk.times import to_iso


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


@dataclass(frozen=True)
class Outgoing:
    """One email to one person. ``reply_key`` makes it answerable: the Reply-To becomes
    ``clerk+KEY@domain`` and the Message-ID ``<purpose.KEY.N@domain>``."""

    kind: str
    to_addr: str
    subject: str
    text: str
    html: str | None = None
    to_name: str = ""
    person_id: int | None = None
    subject_ref: str = ""
    reply_key: str | None = None
    purpose: str = "note"
    in_reply_to: str | None = None
    auto: Literal["auto-generated", "auto-replied"] = "auto-generated"
    calendar: bytes | None = None
    calendar_method: str = "REQUEST"
    attachments: tuple[Attachment, ...] = field(default=())
    dedupe_key: str | None = None


def reply_address(mail: MailSettings, key: str) -> str:
    return f"{mail.reply_local_part}+{key}@{mail.reply_domain}"


def compose(mail: MailSettings, msg: Outgoing, now: datetime) -> EmailMessage:
    """The MIME message: text and HTML alternatives, a calendar part, attachments."""
    email = EmailMessage()
    email["From"] = Address(mail.from_name, addr_spec=mail.from_address)
    email["To"] = Address(msg.to_name, addr_spec=msg.to_addr) if msg.to_name else msg.to_addr
    email["Subject"] = msg.subject
    email["Date"] = format_datetime(now)
    token = secrets.token_hex(4)
    if msg.reply_key:
        email["Message-ID"] = f"<{msg.purpose}.{msg.reply_key}.{token}@{mail.reply_domain}>"
        email["Reply-To"] = reply_address(mail, msg.reply_key)
    else:
        email["Message-ID"] = f"<{msg.kind}.{secrets.token_hex(12)}@{mail.reply_domain}>"
    if msg.in_reply_to:
        ref = msg.in_reply_to if msg.in_reply_to.startswith("<") else f"<{msg.in_reply_to}>"
        email["In-Reply-To"] = ref
        email["References"] = ref
    email["Auto-Submitted"] = msg.auto
    email["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    email["X-Clerk-Kind"] = msg.kind
    email.set_content(msg.text)
    if msg.html:
        email.add_alternative(msg.html, subtype="html")
    if msg.calendar:
        email.add_attachment(msg.calendar, maintype="text", subtype="calendar",
                             filename="invite.ics",
                             params={"method": msg.calendar_method, "charset": "utf-8"})
    for item in msg.attachments:
        email.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype,
                             filename=item.filename)
    return email


def queue(db: Database, mail: MailSettings, msg: Outgoing, now: datetime) -> int | None:
    """Compose and queue; returns the outbox id, or None when ``dedupe_key`` was queued before."""
    if msg.dedupe_key and db.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?",
                                     [msg.dedupe_key]).fetchone():
        return None
    email = compose(mail, msg, now)
    row = {
        "created_at": to_iso(now), "kind": msg.kind, "subject_ref": msg.subject_ref,
        "person_id": msg.person_id, "to_addr": msg.to_addr.lower(), "subject": msg.subject,
        "message_id": str(email["Message-ID"]).strip("<>"), "dedupe_key": msg.dedupe_key,
        "raw": email.as_bytes(), "status": "queued", "next_attempt_at": to_iso(now),
    }
    return int(db["outbox"].insert(row).last_pk)
