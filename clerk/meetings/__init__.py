"""Meetings: scheduling one (its time checked), deleting one nothing was sent for, finding one by
its reference, and listing them
(:mod:`.schedule`); planning a year's meetings (:mod:`.plan`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.meetings.plan import AcceptedPlan, PlanYear, YearPlan, accept_plan, plan_year
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
    "AcceptedPlan",
    "AddMeeting",
    "Meeting",
    "PlanYear",
    "Scheduled",
    "YearPlan",
    "accept_plan",
    "add_meeting",
    "check_start",
    "delete_meeting",
    "get_meeting",
    "list_meetings",
    "may_delete",
    "meeting_by_id",
    "plan_year",
    "schedule_meeting",
]
