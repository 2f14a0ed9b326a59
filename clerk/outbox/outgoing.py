"""An outgoing email as the services describe it, before it is written as MIME."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from clerk.config import MailSettings


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
