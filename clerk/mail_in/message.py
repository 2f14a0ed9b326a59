"""An incoming message as the services see it, and what became of it (data only, no I/O).

The mail adapter parses the raw bytes once (``mail.mime.ParsedMessage``), and hands what the
services need of it, an :class:`InboundMail`, to :func:`clerk.mail_in.inbox.handle_inbound`;
a purpose handler (``rsvp``, ``vote``, ``agenda``...) receives a :class:`VerifiedReply` (a
message whose reply key and sender have been checked) and returns a :class:`Decision`; the
caller gets an :class:`InboundOutcome`, what became of the message. Nothing here parses mail:
the wire format stays in ``mail/``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from clerk.people.directory import Person
from clerk.reading.calendar_reply import CalendarReply
from clerk.tokens.reply_keys import ReplyKey

Status = Literal["processed", "ignored", "refused", "unclear", "duplicate", "quarantined"]
AutomationKind = Literal["auto-reply", "bounce", "own-mail", "list"]
Refusal = Literal["no_sender", "not_authentic", "not_ours", "key_unknown", "key_withdrawn",
                  "key_expired", "other_address", "not_accepted"]
"""Why a message is refused: no usable sender address; the sender's authentication failed; it
answers none of clerk's emails (no reply key); its reply key is not one clerk issued, was
withdrawn, or has expired; the key belongs to another address than the sender's; or the key's
handler refused what it says (a :class:`clerk.errors.ClerkError`). What the writer is told is
chosen by this code (:data:`clerk.mail_in.inbox.TOLD`)."""


@dataclass(frozen=True)
class Automation:
    """Mail no person wrote: an auto-reply, a bounce (with the addresses that failed), a mailing
    list, or clerk's own mail come back; ``reason`` names the header or check that said so."""

    kind: AutomationKind
    reason: str
    failed_recipients: tuple[str, ...] = ()
    permanent: bool = False
    statuses: dict[str, str] = field(default_factory=dict)
    #: For a bounce: the Message-IDs of the returned message, as the report quotes them.
    original_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class InboundMail:
    """One decoded incoming message.

    ``from_addr`` is the lower-cased address only (display names are never trusted);
    ``fresh_text`` is what the sender wrote now (quotes and signatures cut); ``reply_key`` is the
    key found in the recipient address or the In-Reply-To/References ids; ``answered_ids`` are the
    Message-IDs the message answers (In-Reply-To first, then References newest first, without
    angle brackets), as the adapter parsed them; ``auth_results`` are
    the raw ``Authentication-Results`` values, top first; ``calendar_reply`` a calendar's answer
    (iTIP REPLY) carried by the message, as Outlook's "Accepted:" is.
    """

    raw: bytes
    raw_sha256: str
    message_id: str
    from_addr: str
    subject: str
    fresh_text: str
    reply_key: str | None = None
    automation: Automation | None = None
    auth_results: tuple[str, ...] = ()
    calendar_reply: CalendarReply | None = None
    answered_ids: tuple[str, ...] = ()

    @property
    def message_key(self) -> str:
        """What identifies the message when it arrives again: its Message-ID, else its hash."""
        return self.message_id or f"sha256:{self.raw_sha256}"


@dataclass(frozen=True)
class VerifiedReply:
    """A message whose reply key is valid and whose sender may use it, for a purpose handler.

    ``sender`` is the person who wrote (the key's owner, or a substitute standing in for them);
    ``evidence`` is what the audit log records about the message.
    """

    mail: InboundMail
    key: ReplyKey
    sender: Person
    received_at: datetime
    evidence: dict[str, Any]

    @property
    def idempotency_key(self) -> str:
        return f"email:{self.mail.message_key}"


@dataclass
class Decision:
    """What a message meant and what was done about it, in plain words."""

    status: Status
    understood: str
    action: str
    reason: str = ""
    meeting: str = ""
    queued: list[int] = field(default_factory=list)
    refusal: Refusal | None = None  # set when status is "refused"
    secret: bool = False  # a secret ballot: its bytes are not kept (clerk.mail_in.election)


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one incoming message (read, refused, ignored, quarantined...), as stored
    in the ``inbound`` table."""

    status: Status
    message_key: str
    message_id: str
    from_addr: str
    subject: str
    understood: str
    action: str
    reason: str = ""
    meeting: str = ""
    queued: tuple[int, ...] = ()
    inbound_id: int | None = None
    refusal: Refusal | None = None  # why, when status is "refused"

    @property
    def quarantined(self) -> bool:
        return self.status == "quarantined"

    @property
    def summary(self) -> str:
        """One line for the log: ``reply from alice@example.org recorded: attending ...``."""
        noun = "reply" if self.status in ("processed", "unclear", "refused") else "message"
        return f"{noun} from {self.from_addr or 'an unknown sender'} {self.action}"

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "message_key": self.message_key,
                "from": self.from_addr, "subject": self.subject, "status": self.status,
                "understood": self.understood, "action": self.action, "reason": self.reason,
                "meeting": self.meeting, "emails_queued": len(self.queued)}


@dataclass(frozen=True)
class InboundLine:
    """One message read, as ``clerk mail inbox`` lists it (not its bytes); the times as stored
    (UTC, ISO 8601)."""

    id: int
    received_at: str
    processed_at: str
    source: str
    from_addr: str
    subject: str
    status: str
    understood: str
    action: str
    reason: str
    message_id: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> InboundLine:
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
