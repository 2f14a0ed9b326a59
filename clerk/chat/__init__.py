"""What people do in the chat bot, channel-neutral: linking a chat to a member
(:mod:`.links`), a member answering and voting (:mod:`.members`, cards in :mod:`.cards`), the
facilitator and chair (:mod:`.staff`), and where each chat is in a conversation
(:mod:`.conversations`)."""
