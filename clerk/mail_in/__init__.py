"""What an incoming email means and what to do about it: the message as the domain sees it
(:mod:`.message`), the pipeline that routes it (:mod:`.inbox`), each purpose (:mod:`.rsvp`,
:mod:`.vote`, :mod:`.agenda`), bounces (:mod:`.bounces`) and what clerk writes back
(:mod:`.responses`). The wire format (MIME) stays in the top-level ``mail`` adapter.

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.mail_in.inbox import handle_inbound, list_inbound, quarantine_inbound
from clerk.mail_in.message import InboundMail, InboundOutcome
from clerk.mail_in.review import (
    REVIEW_STATUSES,
    Attached,
    AttachReply,
    Attribution,
    ShownMessage,
    StoredMessage,
    attach_reply,
    attribute,
    messages_to_review,
    note_replay,
    reading_of,
    stored_message,
    why_not_acted,
)

__all__ = [
    "REVIEW_STATUSES",
    "AttachReply",
    "Attached",
    "Attribution",
    "InboundMail",
    "InboundOutcome",
    "ShownMessage",
    "StoredMessage",
    "attach_reply",
    "attribute",
    "handle_inbound",
    "list_inbound",
    "messages_to_review",
    "note_replay",
    "quarantine_inbound",
    "reading_of",
    "stored_message",
    "why_not_acted",
]
