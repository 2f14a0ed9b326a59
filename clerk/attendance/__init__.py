"""Attendance: inviting a body to a meeting and telling everyone when it moves
(:mod:`.invitations`), who is invited (:mod:`.roster`), the replies (:mod:`.replies`,
:mod:`.substitute_notices`; as the facilitator reads them, :mod:`.answers`), the quorum
forecast (:mod:`.quorum`), reminders to those who have not replied (:mod:`.reminders`), the
register on the day (:mod:`.register`), the decisions taken (:mod:`.decisions`) and those
referred to another body (:mod:`.referrals`), and requests for an extraordinary meeting
(:mod:`.extraordinary`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.attendance.answers import Answer, reply_sheet
from clerk.attendance.decisions import AddDecision, add_decision, list_decisions
from clerk.attendance.extraordinary import (
    ExtraordinaryRequest,
    RequestMeeting,
    list_requests,
    request_meeting,
)
from clerk.attendance.invitations import (
    ChangePreview,
    InviteResult,
    cancel_meeting,
    invite,
    move_meeting,
    preview_change,
)
from clerk.attendance.quorum import forecast
from clerk.attendance.referrals import ReferDecision, Referral, list_referrals, refer_decision
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
    "ExtraordinaryRequest",
    "Intent",
    "InviteResult",
    "RecordAttendance",
    "RecordReply",
    "ReferDecision",
    "Referral",
    "RegisterCheck",
    "RegisterSheet",
    "Reminded",
    "ReplyOutcome",
    "RequestMeeting",
    "add_decision",
    "cancel_meeting",
    "check_register",
    "forecast",
    "invite",
    "list_decisions",
    "list_referrals",
    "list_requests",
    "move_meeting",
    "preview_change",
    "record_attendance",
    "record_reply",
    "refer_decision",
    "register_sheet",
    "remind_now",
    "reply_sheet",
    "request_meeting",
]
