"""What people do in the chat bot, channel-neutral: linking a chat to a member
(:mod:`.links`), a member answering and voting (:mod:`.members`, cards in :mod:`.cards`) and
answering for an action point (:mod:`.actions`), the
facilitator and chair (:mod:`.staff`), and where each chat is in a conversation
(:mod:`.conversations`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.chat.actions import ChatActionAnswer, answer_action
from clerk.chat.cards import render_mirrored
from clerk.chat.conversations import load_conversations, save_conversation
from clerk.chat.links import (
    ConfirmLink,
    RequestLink,
    confirm_link,
    request_link,
    unlink,
)
from clerk.chat.members import (
    ChatRsvp,
    ChatVote,
    answer_invitation,
    ballot_choice,
    papers_in_chat,
    substitute_prompt,
    vote_in_chat,
)
from clerk.chat.staff import (
    ApproveInChat,
    approve_agenda_in_chat,
    meeting_status,
    status_menu,
)

__all__ = [
    "ApproveInChat",
    "ChatActionAnswer",
    "ChatRsvp",
    "ChatVote",
    "ConfirmLink",
    "RequestLink",
    "answer_action",
    "answer_invitation",
    "approve_agenda_in_chat",
    "ballot_choice",
    "confirm_link",
    "load_conversations",
    "meeting_status",
    "papers_in_chat",
    "render_mirrored",
    "request_link",
    "save_conversation",
    "status_menu",
    "substitute_prompt",
    "unlink",
    "vote_in_chat",
]
