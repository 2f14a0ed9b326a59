"""Working days: weekends and English bank holidays skipped; calendar days for bodies that count them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from clerk.rules.bank_holidays import BANK_HOLIDAYS, FIRST_YEAR, LAST_YEAR

DayUnit = Literal["working_days", "days"]


@lru_cache(maxsize=64)
def _named_bank_holidays(year: int) -> dict[date, str]:
    """England's bank holidays of ``year`` with their names: from the table written from the
    `holidays` package (:mod:`clerk.rules.bank_holidays`), else from the package itself, which is
    loaded only then (it loads every country's calendar: about 17 MB)."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return {date(y, m, d): name for y, m, d, name in BANK_HOLIDAYS if y == year}
    import holidays

    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    """True on an English bank holiday (substitute days included)."""
    return day in _named_bank_holidays(day.year)


def bank_holiday_name(day: date) -> str | None:
    """The holiday's name, or None on an ordinary day."""
    return _named_bank_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an English bank holiday."""
    return day.weekday() < 5 and not is_bank_holiday(day)


@lru_cache(maxsize=32)
def _working_days(first_year: int) -> tuple[int, ...]:
    """Ordinals of every working day from ``first_year`` through ``first_year + 5``, sorted."""
    day = date(first_year, 1, 1)
    end = date(first_year + 6, 1, 1)
    out = []
    while day < end:
        if is_working_day(day):
            out.append(day.toordinal())
        day += timedelta(days=1)
    return tuple(out)


def add_working_days(start: date, n: int) -> date:
    """The day ``n`` working days after ``start`` (before it when ``n`` is negative).

    ``start`` itself is never counted, so ``add_working_days(friday, 1)`` is the next Monday
    (or Tuesday after a bank holiday Monday).
    """
    if n == 0:
        return start
    first_year = start.year - start.year % 4 - 1  # a window around start, shared by neighbours
    days = _working_days(first_year)
    ordinal = start.toordinal()
    index = bisect_right(days, ordinal) + n - 1 if n > 0 else bisect_left(days, ordinal) + n
    if 0 <= index < len(days):
        return date.fromordinal(days[index])
    return _add_working_days_slowly(start, n)


def _add_working_days_slowly(start: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def shift(start: date, n: int, unit: DayUnit) -> date:
    """Move ``n`` days in the given unit: working days or calendar days."""
    if unit == "working_days":
        return add_working_days(start, n)
    return start + timedelta(days=n)


def notice_deadline(meeting_day: date, notice: int, unit: DayUnit) -> date:
    """The last day papers may go out and still give ``notice`` days' notice of the meeting.

    For 7 working days before a Thursday meeting this is the Tuesday of the week before; when
    the count is in calendar days and lands on a weekend or bank holiday, the deadline moves back
    to the working day before it, since nobody is there to send papers on that day.
    """
    due = shift(meeting_day, -notice, unit)
    while unit == "days" and not is_working_day(due):
        due -= timedelta(days=1)
    return due


def describe(n: int, unit: DayUnit) -> str:
    """``7 working days`` or ``14 days``."""
    noun = "working day" if unit == "working_days" else "day"
    return f"{n} {noun}{'' if n == 1 else 's'}"
