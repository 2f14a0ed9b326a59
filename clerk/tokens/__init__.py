"""Tokens that expire and are used once: reply keys bound to one person and one purpose
(:mod:`.reply_keys`), and one-time codes emailed to prove a chat or a booking belongs to an
address (:mod:`.chat_codes`)."""
