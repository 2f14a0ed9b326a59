"""Planning a body's year: the days to propose for its meetings, one in each period its frequency
asks for (each month, each quarter, or the year shared evenly among its minimum number of
meetings), on a chosen weekday of a chosen week of the month, never on a weekend or a bank holiday.

A period that already has a meeting is left alone, and so is one whose usual day has passed. Each
period's answer is a :class:`PlanSlot` with a code and a sentence, so that whoever shows the
proposal can say why each date is what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

from clerk.rules.frequency import FrequencyPolicy, check_frequency
from clerk.rules.verdict import Verdict
from clerk.rules.workdays import bank_holiday_name, is_working_day

#: ``usual``: the chosen weekday of the chosen week; ``moved``: that day is a bank holiday, so
#: another week of the same month; ``has_meeting``: the period already has a meeting (nothing
#: proposed); ``past``: the period's usual day has gone by; ``no_day``: no working day is left in
#: the month.
PlanCode = Literal["usual", "moved", "has_meeting", "past", "no_day"]
#: The proposal as a whole: ``met`` (with the days proposed, the frequency is met), ``short`` (it
#: is not: the reason says what is missing), ``nothing_to_plan`` (the body has no minimum).
ProposalCode = Literal["met", "short", "nothing_to_plan"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
WEEKS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "last"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def parse_weekday(text: str) -> int:
    """``thu``, ``Thursday``: 0 for Monday to 4 for Friday; ValueError for anything else (a
    meeting is not planned for a weekend)."""
    word = text.strip().lower()
    if len(word) >= 2:
        for n, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return n
    raise ValueError(f'"{text}" is not a weekday: give one of mon, tue, wed, thu or fri')


def parse_week(text: str) -> int:
    """``1`` to ``4``, or ``last`` (5); ValueError for anything else."""
    word = text.strip().lower()
    if word == "last":
        return 5
    if word in {"1", "2", "3", "4"}:
        return int(word)
    raise ValueError(f'"{text}" is not a week of the month: give 1, 2, 3, 4 or last')


def parse_time_of_day(text: str) -> time:
    """``10:00``, ``14.30``; ValueError for anything else."""
    found = re.fullmatch(r"(\d{1,2})[:.](\d{2})", text.strip())
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValueError(f'"{text}" is not a time of day: give it as 10:00 or 14:30')
    return time(int(found.group(1)), int(found.group(2)))


def weekday_name(n: int) -> str:
    return WEEKDAYS[n].capitalize()


def week_of(day: date) -> int:
    """Which week of its month ``day`` falls in, as the plan counts them: 1 to 4, or 5 (the last)
    for a day in the month's last seven days after the fourth week."""
    return min((day.day - 1) // 7 + 1, 5)


def day_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def nth_weekday(year: int, month: int, weekday: int, week: int) -> date:
    """The ``week``-th ``weekday`` of the month (``week`` 5: the last one)."""
    if week >= 5:
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))


def periods(policy: FrequencyPolicy, year: int) -> list[tuple[int, int]]:
    """The periods of the year that each want a meeting, as (first month, last month): each month
    (``every = "month"``), each quarter (``every = "quarter"``), or the year cut evenly into
    ``min_per_year`` runs of months (at most twelve; none when there is no minimum)."""
    count = policy.min_per_year
    if policy.every == "month":
        count = max(count, 12)
    elif policy.every == "quarter":
        count = max(count, 4)
    count = min(count, 12)
    return [(i * 12 // count + 1, (i + 1) * 12 // count) for i in range(count)]


def period_words(first: int, last: int, year: int) -> str:
    if first == last:
        return f"{MONTHS[first - 1]} {year}"
    if last - first == 2 and first % 3 == 1:
        return f"Q{first // 3 + 1} {year} ({MONTHS[first - 1]} to {MONTHS[last - 1]})"
    return f"{MONTHS[first - 1]} to {MONTHS[last - 1]} {year}"


@dataclass(frozen=True)
class PlanSlot:
    """One period of the year and what is proposed for it (``day`` None: nothing)."""

    period: str
    first_month: int
    last_month: int
    day: date | None
    code: PlanCode
    reason: str


@dataclass(frozen=True)
class YearProposal:
    """The proposal for a year: a slot per period and whether, once the proposed days are
    added to those already scheduled, the body's frequency is met (the verdict's reason says
    what is still missing otherwise)."""

    year: int
    weekday: int
    week: int
    slots: tuple[PlanSlot, ...]
    verdict: Verdict

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(s.day for s in self.slots if s.day is not None)

    @property
    def pattern(self) -> str:
        """``the second Thursday of the month``."""
        return f"the {WEEKS[self.week]} {weekday_name(self.weekday)} of the month"


def _candidates(year: int, month: int, weekday: int, week: int) -> list[date]:
    """The usual day, then the same weekday one week later, one earlier, two later... within
    the month, then every other working day of the month, nearest the usual day first."""
    usual = nth_weekday(year, month, weekday, week)
    same = [usual]
    for step in (1, -1, 2, -2, 3, -3, 4, -4):
        day = usual + timedelta(weeks=step)
        if day.month == month:
            same.append(day)
    rest = []
    day = date(year, month, 1)
    while day.month == month:
        if day not in same:
            rest.append(day)
        day += timedelta(days=1)
    rest.sort(key=lambda d: abs((d - usual).days))
    return same + rest


def _slot(first: int, last: int, year: int, month: int, weekday: int, week: int,
          existing: list[date], today: date) -> PlanSlot:
    label = period_words(first, last, year)
    held = [d for d in existing if d.year == year and first <= d.month <= last]
    if held:
        return PlanSlot(label, first, last, None, "has_meeting",
                        f"already has a meeting on {day_words(min(held))}")
    candidates = _candidates(year, month, weekday, week)
    usual = candidates[0]
    if usual <= today:
        return PlanSlot(label, first, last, None, "past", f"{day_words(usual)} has passed")
    for day in candidates:
        if day > today and is_working_day(day):
            if day == usual:
                return PlanSlot(label, first, last, day, "usual",
                                f"the {WEEKS[week]} {weekday_name(weekday)} of {MONTHS[month - 1]}")
            return PlanSlot(label, first, last, day, "moved",
                            f"{day_words(usual)} is a bank holiday "
                            f"({bank_holiday_name(usual) or 'not a working day'})")
    return PlanSlot(label, first, last, None, "no_day",
                    f"no working day is left in {MONTHS[month - 1]} {year}")


def propose_year(policy: FrequencyPolicy, year: int, *, existing: Iterable[date], today: date,
                 weekday: int = 3, week: int = 2, month_in_period: int = 0) -> YearProposal:
    """The days to propose for ``year``: in each period (:func:`periods`) without a meeting in
    ``existing`` (the days of the meetings already scheduled, cancelled ones left out), the
    ``week``-th ``weekday`` (0 Monday .. 4 Friday; week 5 the last) of the period's month number
    ``month_in_period`` (0: its first month; cut short to its last), moved to another week of that
    month when it is a bank holiday; nothing for a period whose usual day is not after ``today``."""
    if not 0 <= weekday <= 4:
        raise ValueError("meetings are planned for a weekday, Monday to Friday")
    if not 1 <= week <= 5:
        raise ValueError("the week of the month is 1 to 4, or 5 for the last")
    held = sorted(existing)
    slots = []
    for first, last in periods(policy, year):
        month = min(first + max(month_in_period, 0), last)
        slots.append(_slot(first, last, year, month, weekday, week, held, today))
    proposed = [s.day for s in slots if s.day is not None]
    found = check_frequency(policy, [*held, *proposed], year)
    verdict = Verdict(found.ok, found.reason, code="met" if found.ok else "short")
    if not slots:
        verdict = Verdict(True, "the body has no minimum number of meetings to plan for",
                          code="nothing_to_plan")
    return YearProposal(year, weekday, week, tuple(slots), verdict)
