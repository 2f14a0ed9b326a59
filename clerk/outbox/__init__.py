"""What clerk sends, queued in the same transaction as the change that caused it: emails
(:mod:`.mail`, described by :mod:`.outgoing`, written as bytes by :mod:`.compose`), chat
messages (:mod:`.chat`, their text and buttons in :mod:`.chat_text`), and what becomes of each
queued message (:mod:`.delivery`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.outbox.chat import ChatMessage, queue_reply
from clerk.outbox.chat_text import Button, ChatReply, Rows
from clerk.outbox.delivery import (
    due_count,
    list_outbox,
    outbox_counts,
    progress,
    queued_count,
)

__all__ = [
    "Button",
    "ChatMessage",
    "ChatReply",
    "Rows",
    "due_count",
    "list_outbox",
    "outbox_counts",
    "progress",
    "queue",
    "queue_reply",
    "queued_count",
]
