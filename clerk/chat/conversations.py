"""Where each chat is in a bot conversation, kept in SQLite so that a conversation survives a
restart of ``clerk run`` (the bot's persistence, :mod:`bot.persistence`, reads and writes it).

Only the state is kept (which step a chat is at), never what was typed: a booking's name and
address are held by the emailed code (:mod:`clerk.tokens.chat_codes`), which is all the last step
needs, and a conversation stopped at an earlier step is asked to start again. A conversation
left untouched for :data:`KEEP` is forgotten.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from clerk.app import Clerk
from clerk.store.rows import execute, fetch_all
from clerk.times import to_iso

#: Conversations not moved on for this long are dropped when the bot starts.
KEEP = timedelta(days=7)

ConversationKey = tuple[str | int, ...]


def load_conversations(app: Clerk, name: str) -> dict[ConversationKey, object]:
    """The conversations called ``name`` still going (older than :data:`KEEP` are dropped)."""
    with app.store.write() as db:
        execute(db, "DELETE FROM bot_conversations WHERE updated_at < ?",
                [to_iso(app.clock.now() - KEEP)])
        rows = fetch_all(db, "SELECT key, state FROM bot_conversations WHERE name = ?", [name])
    return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}


def save_conversation(app: Clerk, name: str, key: ConversationKey, state: object | None) -> None:
    """Record the conversation's new state; ``None`` (it ended) forgets it."""
    stored = json.dumps(list(key))
    with app.store.write() as db:
        if state is None:
            execute(db, "DELETE FROM bot_conversations WHERE name = ? AND key = ?", [name, stored])
            return
        execute(db, "INSERT INTO bot_conversations (name, key, state, updated_at) VALUES "
                    "(?, ?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                [name, stored, _state_json(state), to_iso(app.clock.now())])


def _state_json(state: Any) -> str:
    """A conversation's state is a step number (PTB allows any object; clerk uses ints)."""
    if not isinstance(state, int | str):
        raise TypeError(f"a conversation state must be a number or a name, not {state!r}")
    return json.dumps(state)
