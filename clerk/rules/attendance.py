"""Attendance records over a period (pure): how a register line counts (:func:`mark_of`), whether
a member was due at a meeting (:func:`due_at`), the counts and the percentage (:class:`Tally`),
and when the annual report is due and which months it covers (:func:`annual_report_day`,
:func:`annual_report_period`, :func:`next_annual_report_year`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from clerk.rules.verdict import Verdict
from clerk.rules.workdays import is_working_day

Mark = Literal["in_person", "substitute", "apologies", "absent_without_notice"]
"""How one member's line of one meeting's register counts."""

DueCode = Literal["due", "after_membership_ended"]

#: The percentage, in words: every format of the report says it.
PERCENTAGE_RULE = ("attendance percentage is the meetings attended in person or by a substitute, "
                   "divided by the meetings the member was due at, to the nearest whole per cent")


def mark_of(status: str, member_id: int, present_by: int | None) -> Mark:
    """One register line as a mark: present by the member themself (or by someone clerk could
    not name: in person), present by somebody else (a substitute), apologies, or absent."""
    if status == "present":
        return "substitute" if present_by is not None and present_by != member_id else "in_person"
    if status == "apologies":
        return "apologies"
    return "absent_without_notice"


def due_at(meeting_day: date, ended_on: date | None) -> Verdict:
    """Whether a member the register lists counts as due at the meeting: not when their
    membership had ended before its day (a register recorded before the end was entered). When
    they joined is read from the registers themselves: each lists the members seated that day."""
    if ended_on is not None and meeting_day > ended_on:
        return Verdict(False, f"the membership ended on {ended_on.isoformat()}",
                       code="after_membership_ended")
    return Verdict(True, "a member on the day", code="due")


@dataclass(frozen=True)
class Tally:
    """Counts over a period: meetings due at, and how each went."""

    due: int = 0
    in_person: int = 0
    substitute: int = 0
    apologies: int = 0
    absent_without_notice: int = 0

    @property
    def attended(self) -> int:
        return self.in_person + self.substitute

    @property
    def percentage(self) -> int | None:
        """Attended (in person or by substitute) out of due, to the nearest whole per cent
        (half up); None when the member was due at no meeting."""
        if not self.due:
            return None
        return (200 * self.attended + self.due) // (2 * self.due)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.due + other.due, self.in_person + other.in_person,
                     self.substitute + other.substitute, self.apologies + other.apologies,
                     self.absent_without_notice + other.absent_without_notice)


def tally(marks: Iterable[Mark]) -> Tally:
    """The counts of these marks (one per meeting due at)."""
    n = {"in_person": 0, "substitute": 0, "apologies": 0, "absent_without_notice": 0}
    for mark in marks:
        n[mark] += 1
    return Tally(sum(n.values()), n["in_person"], n["substitute"], n["apologies"],
                 n["absent_without_notice"])


def annual_report_day(month: int, year: int) -> date:
    """The day the annual report goes out: the first working day of ``month`` in ``year``."""
    day = date(year, month, 1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def annual_report_period(month: int, year: int) -> tuple[date, date]:
    """The twelve whole months the report of ``month`` ``year`` covers: from the first of that
    month a year before to the last day of the month before (July 2027: 1 July 2026 to 30 June
    2027), both days included."""
    return date(year - 1, month, 1), date(year, month, 1) - timedelta(days=1)


def next_annual_report_year(month: int, today: date) -> int:
    """The year of the next report to send: this year's until its month is over (a report not
    sent on its day is still sent late in the month), else next year's."""
    return today.year if today.month <= month else today.year + 1


def latest_annual_report_year(month: int, today: date) -> int:
    """The year of the latest report whose day has come (what the site publishes)."""
    return today.year if today >= annual_report_day(month, today.year) else today.year - 1
