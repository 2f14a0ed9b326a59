"""Meetings: scheduling one, finding one by its reference, and listing them
(:mod:`.schedule`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.meetings.schedule import (
    AddMeeting,
    Meeting,
    add_meeting,
    get_meeting,
    list_meetings,
    meeting_by_id,
)

__all__ = ["AddMeeting", "Meeting", "add_meeting", "get_meeting", "list_meetings", "meeting_by_id"]
