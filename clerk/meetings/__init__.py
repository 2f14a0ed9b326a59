"""Meetings: scheduling one (its time checked), deleting one nothing was sent for, finding one by
its reference, and listing them
(:mod:`.schedule`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.meetings.schedule import (
    AddMeeting,
    Meeting,
    Scheduled,
    add_meeting,
    check_start,
    delete_meeting,
    get_meeting,
    list_meetings,
    may_delete,
    meeting_by_id,
    schedule_meeting,
)

__all__ = [
    "AddMeeting",
    "Meeting",
    "Scheduled",
    "add_meeting",
    "check_start",
    "delete_meeting",
    "get_meeting",
    "list_meetings",
    "may_delete",
    "meeting_by_id",
    "schedule_meeting",
]
