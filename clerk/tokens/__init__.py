"""Tokens that expire and are used once: reply keys bound to one person and one purpose
(:mod:`.reply_keys`), and one-time codes emailed to prove a chat or a booking belongs to an
address (:mod:`.chat_codes`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.tokens.reply_keys import check_key, issue_key

__all__ = ["check_key", "issue_key"]
