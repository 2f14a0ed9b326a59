"""Attendance: inviting a body to a meeting and telling everyone when it moves
(:mod:`.invitations`), who is invited (:mod:`.roster`), the replies (:mod:`.replies`,
:mod:`.substitute_notices`), the quorum
forecast (:mod:`.quorum`), the register on the day (:mod:`.register`), and the decisions taken
(:mod:`.decisions`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.attendance.decisions import AddDecision, add_decision, list_decisions
from clerk.attendance.invitations import InviteResult, cancel_meeting, invite, move_meeting
from clerk.attendance.quorum import forecast
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.replies import Intent, RecordReply, record_reply

__all__ = [
    "AddDecision",
    "Intent",
    "InviteResult",
    "RecordAttendance",
    "RecordReply",
    "add_decision",
    "cancel_meeting",
    "forecast",
    "invite",
    "list_decisions",
    "move_meeting",
    "record_attendance",
    "record_reply",
]
