"""What clerk sends, queued in the same transaction as the change that caused it: emails
(:mod:`.mail`, described by :mod:`.outgoing`, written as bytes by :mod:`.compose`), chat
messages (:mod:`.chat`, their text and buttons in :mod:`.chat_text`), and what becomes of each
queued message (:mod:`.delivery`)."""
