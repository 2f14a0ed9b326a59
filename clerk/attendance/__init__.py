"""Attendance: inviting a body to a meeting and telling everyone when it moves
(:mod:`.invitations`), who is invited (:mod:`.roster`), the replies (:mod:`.replies`,
:mod:`.substitute_notices`; as the facilitator reads them, :mod:`.answers`), the quorum
forecast (:mod:`.quorum`), reminders to those who have not replied (:mod:`.reminders`), the
register on the day (:mod:`.register`), and the decisions taken (:mod:`.decisions`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.attendance.answers import Answer, reply_sheet
from clerk.attendance.decisions import AddDecision, add_decision, list_decisions
from clerk.attendance.invitations import (
    ChangePreview,
    InviteResult,
    cancel_meeting,
    invite,
    move_meeting,
    preview_change,
)
from clerk.attendance.quorum import forecast
from clerk.attendance.register import (
    RecordAttendance,
    RegisterCheck,
    RegisterSheet,
    check_register,
    record_attendance,
    register_sheet,
)
from clerk.attendance.reminders import Reminded, remind_now
from clerk.attendance.replies import Intent, RecordReply, ReplyOutcome, record_reply

__all__ = [
    "AddDecision",
    "Answer",
    "ChangePreview",
    "Intent",
    "InviteResult",
    "RecordAttendance",
    "RecordReply",
    "RegisterCheck",
    "RegisterSheet",
    "Reminded",
    "ReplyOutcome",
    "add_decision",
    "cancel_meeting",
    "check_register",
    "forecast",
    "invite",
    "list_decisions",
    "move_meeting",
    "preview_change",
    "record_attendance",
    "record_reply",
    "register_sheet",
    "remind_now",
    "reply_sheet",
]
