"""Whether a meeting is still ahead: the one rule every operation that acts on a coming meeting
(moving it, inviting a substitute, booking, questions, replies) asks first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from clerk.rules.verdict import Verdict

MeetingOpenCode = Literal["open", "cancelled", "over"]


class MeetingTimes(Protocol):
    """What the rule needs of a meeting."""

    @property
    def starts_at(self) -> datetime: ...

    @property
    def status(self) -> str: ...


def meeting_still_open(meeting: MeetingTimes, at: datetime) -> Verdict:
    """Is the meeting still ahead at ``at``: not cancelled, and not yet started (a meeting that
    starts at ``at`` has started). Codes: ``open``, ``cancelled``, ``over``."""
    if meeting.status == "cancelled":
        return Verdict(False, "the meeting has been cancelled", code="cancelled")
    if meeting.starts_at <= at:
        return Verdict(False, "the meeting has already taken place", code="over")
    return Verdict(True, "the meeting is still ahead", code="open")
