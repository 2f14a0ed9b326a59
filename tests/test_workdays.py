"""Working days skip weekends and English bank holidays; notice periods land on the right day."""

from __future__ import annotations

from datetime import date

import pytest

from clerk.rules.workdays import add_working_days, is_working_day, notice_deadline


@pytest.mark.parametrize(
    ("start", "n", "expected", "why"),
    [
        (date(2026, 12, 24), 1, date(2026, 12, 29), "Christmas Day, weekend, Boxing Day (observed)"),
        (date(2026, 12, 31), 1, date(2027, 1, 4), "New Year's Day 2027 is a Friday"),
        (date(2027, 12, 24), 1, date(2027, 12, 29), "both Christmas holidays observed Mon/Tue"),
        (date(2027, 12, 31), 1, date(2028, 1, 4), "New Year's Day 2028 observed on Monday 3rd"),
        (date(2026, 4, 2), 1, date(2026, 4, 7), "Good Friday and Easter Monday 2026"),
        (date(2027, 3, 25), 1, date(2027, 3, 30), "Good Friday and Easter Monday 2027"),
        (date(2026, 8, 28), 1, date(2026, 9, 1), "late summer bank holiday 31 August 2026"),
        (date(2027, 8, 27), 1, date(2027, 8, 31), "late summer bank holiday 30 August 2027"),
        (date(2026, 12, 29), -1, date(2026, 12, 24), "backwards over Christmas"),
        (date(2027, 4, 1), -5, date(2027, 3, 23), "backwards over Easter 2027"),
        (date(2026, 11, 23), 0, date(2026, 11, 23), "zero days is the same day"),
        (date(2026, 11, 20), 5, date(2026, 11, 27), "an ordinary week"),
    ],
)
def test_add_working_days(start: date, n: int, expected: date, why: str) -> None:
    assert add_working_days(start, n) == expected, why


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2026, 4, 3),
     date(2027, 3, 29), date(2026, 8, 31), date(2027, 8, 30), date(2027, 12, 27)],
)
def test_bank_holidays_are_not_working_days(day: date) -> None:
    assert not is_working_day(day)


def test_carers_papers_seven_working_days_before_over_christmas() -> None:
    # Meeting Thursday 7 January 2027: back over 1 Jan, 28/25 Dec and two weekends.
    assert notice_deadline(date(2027, 1, 7), 7, "working_days") == date(2026, 12, 24)


def test_carers_papers_over_easter_2026() -> None:
    # Meeting Thursday 9 April 2026: 7 working days back skips Easter Monday and Good Friday.
    assert notice_deadline(date(2026, 4, 9), 7, "working_days") == date(2026, 3, 27)


def test_calendar_days_landing_on_a_bank_holiday_move_earlier() -> None:
    # Worcestershire Partnership: 7 (calendar) days before Monday 4 January 2027 is Monday 28
    # December, the Boxing Day holiday: the papers must go by Thursday 24 December.
    assert notice_deadline(date(2027, 1, 4), 7, "days") == date(2026, 12, 24)


def test_calendar_days_on_an_ordinary_day() -> None:
    assert notice_deadline(date(2027, 2, 10), 7, "days") == date(2027, 2, 3)
