"""Whether a meeting is still ahead: the one rule every operation that acts on a coming meeting
(moving it, inviting a substitute, booking, questions, replies) asks first; and whether one
added by mistake may be deleted outright."""

from __future__ import annotations

from collections.abc import Mapping
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


MeetingDeleteCode = Literal["deletable", "in_use"]


def may_delete_meeting(ref: str, traces: Mapping[str, int]) -> Verdict:
    """May the meeting ``ref`` be deleted outright (so that its reference is free again)?
    Only while nothing has been sent or recorded for it: ``traces`` counts each kind of thing
    that has (``{"emails queued or sent": 3, ...}``); kinds counted 0 do not stand in the way.
    Codes: ``deletable``, ``in_use`` (the reason lists what there is and points to cancelling)."""
    found = [f"{what} ({n})" for what, n in traces.items() if n]
    if not found:
        return Verdict(True, f"nothing has been sent or recorded for {ref}", code="deletable")
    return Verdict(False, f"{ref} cannot be deleted: it has {', '.join(found)}; cancel it instead "
                          f"with `clerk meetings cancel {ref}`", code="in_use")
