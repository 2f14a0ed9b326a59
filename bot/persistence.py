"""python-telegram-bot's persistence interface, keeping the conversations' states in clerk's
database (:mod:`clerk.chat.conversations`), so that a booking half-done when
``clerk run`` stops goes on after it starts again.

Only conversations are kept: user, chat and bot data stay in memory (what someone typed is not
stored; see the service). PTB writes the states at :meth:`Application.update_persistence`, which
the bot calls after every update (``bot.handlers``), and when it stops.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from clerk.app import Clerk
from clerk.chat.conversations import (
    ConversationKey,
    load_conversations,
    save_conversation,
)

NOTHING_ELSE = PersistenceInput(bot_data=False, chat_data=False, user_data=False,
                                callback_data=False)


class ConversationStore(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Conversation states in SQLite; every other kind of data is not persisted."""

    def __init__(self, app: Clerk, update_interval: float = 60) -> None:
        super().__init__(store_data=NOTHING_ELSE, update_interval=update_interval)
        self.app = app

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        return load_conversations(self.app, name)

    async def update_conversation(self, name: str, key: ConversationKey,
                                  new_state: object | None) -> None:
        save_conversation(self.app, name, key, new_state)

    # --- not persisted ---------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def update_callback_data(self, data: Any) -> None:
        """Not persisted."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not persisted."""

    async def drop_user_data(self, user_id: int) -> None:
        """Not persisted."""

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Not persisted."""

    async def flush(self) -> None:
        """Every state is written when it changes: nothing is held back."""
