"""Rules about a meeting itself: whether it is still ahead (the one rule every operation that acts
on a coming meeting asks first), whether its start is sound (not past; a weekend or a bank holiday
noted), and whether one added by mistake may be deleted outright."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Literal, Protocol

from clerk.rules.verdict import Verdict
from clerk.rules.workdays import bank_holiday_name

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


# ----------------------------------------------------------------------------- a meeting's start
# Whether a meeting's start is a sensible time to hold it: never in the past; on a weekend or a
# bank holiday (the English calendar of :mod:`clerk.rules.workdays`) it may go ahead, with a
# warning.

CalendarCode = Literal["past", "weekend", "bank_holiday"]

#: The problems that refuse a start (the others are warnings the facilitator is shown).
REFUSING: frozenset[str] = frozenset({"past"})


def _day_words(day: date) -> str:
    """``Saturday 16 January 2027``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _when_words(at: datetime) -> str:
    """``Thursday 14 January 2027 at 10:00`` (in the zone ``at`` is given in)."""
    return f"{_day_words(at.date())} at {at:%H:%M}"


def start_problems(starts_at: datetime, now: datetime, zone: tzinfo) -> tuple[Verdict, ...]:
    """A failing Verdict for each problem with a meeting starting at ``starts_at`` (aware), as
    seen at ``now``, on the local calendar of ``zone``; none when it is a working day ahead.

    Codes: ``past`` (it starts at or before ``now``: refused), ``weekend`` (a Saturday or
    Sunday) and ``bank_holiday`` (an English bank holiday, substitute days included; the
    reason names it). A Saturday bank holiday has both."""
    local = starts_at.astimezone(zone)
    day = local.date()
    problems: list[Verdict] = []
    if starts_at <= now:
        problems.append(Verdict(
            False, f"{_when_words(local)} is in the past (it is now "
                   f"{_when_words(now.astimezone(zone))})", code="past"))
    if day.weekday() >= 5:
        problems.append(Verdict(False, f"{_day_words(day)} falls on a weekend",
                                code="weekend"))
    holiday = bank_holiday_name(day)
    if holiday:
        problems.append(Verdict(False, f"{_day_words(day)} is a bank holiday ({holiday})",
                                code="bank_holiday"))
    return tuple(problems)


def refusal(problems: tuple[Verdict, ...]) -> Verdict | None:
    """The first problem that refuses the start, or None when there are only warnings."""
    return next((p for p in problems if p.code in REFUSING), None)


def warnings(problems: tuple[Verdict, ...]) -> tuple[Verdict, ...]:
    """The problems that do not refuse the start: warnings the facilitator is shown."""
    return tuple(p for p in problems if p.code not in REFUSING)
