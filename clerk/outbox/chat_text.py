"""What clerk says in a chat: a text and the buttons under it, channel-neutral.

Services that answer a chat return a :class:`ChatReply`; the Telegram adapter (``bot/``) turns it
into a message with an inline keyboard. A button carries short callback data (at most 64 bytes,
Telegram's limit) made with :func:`data` and read back with :func:`parse`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MAX_DATA = 64


@dataclass(frozen=True)
class Button:
    """One button: what it says, and the data sent back when it is pressed."""

    label: str
    data: str


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class ChatReply:
    """A message for a chat: its text and rows of buttons (none when the conversation is done)."""

    text: str
    buttons: Rows = field(default=())


def data(*parts: object) -> str:
    """Callback data ``kind:part:part``; refuses anything over Telegram's 64 bytes."""
    text = ":".join(str(p) for p in parts)
    if len(text.encode("utf-8")) > MAX_DATA:
        raise ValueError(f"callback data over {MAX_DATA} bytes: {text!r}")
    return text


def parse(text: str | None) -> list[str]:
    """The parts of callback data (an empty list for none)."""
    return text.split(":") if text else []


def buttons_json(rows: Rows) -> str:
    """Buttons as stored in ``chat_outbox.buttons``."""
    return json.dumps([[[b.label, b.data] for b in row] for row in rows], ensure_ascii=False)


def buttons_from_json(text: str) -> Rows:
    return tuple(tuple(Button(label, value) for label, value in row) for row in json.loads(text))
