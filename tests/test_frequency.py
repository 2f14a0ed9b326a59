"""Does a year's schedule meet each body's minimum number of meetings?"""

from __future__ import annotations

from datetime import date

from clerk.config import load_config
from clerk.rules.frequency import check_frequency
from tests.app_fixtures import EXAMPLE_CONFIG

BODIES = load_config(EXAMPLE_CONFIG).bodies


def test_carers_four_a_year_met() -> None:
    days = [date(2027, m, 14) for m in (1, 4, 7, 10)]
    verdict = check_frequency(BODIES["carers"].meetings, days, 2027)
    assert verdict.ok
    assert verdict.reason == "4 meetings scheduled in 2027; the minimum is met"


def test_carers_three_a_year_is_too_few() -> None:
    days = [date(2027, m, 14) for m in (1, 4, 7)]
    verdict = check_frequency(BODIES["carers"].meetings, days, 2027)
    assert not verdict.ok
    assert verdict.reason == "3 meetings scheduled in 2027, at least 4 needed"


def test_jcb_monthly_missing_august() -> None:
    days = [date(2027, m, 5) for m in range(1, 13) if m != 8] + [date(2027, 9, 20)]
    verdict = check_frequency(BODIES["cypsp-jcb"].meetings, days, 2027)
    assert not verdict.ok
    assert verdict.reason == "no meeting in August"


def test_programme_board_quarterly() -> None:
    good = [date(2027, m, 1) for m in (2, 5, 8, 11)]
    assert check_frequency(BODIES["cypsp-programme"].meetings, good, 2027).ok
    bad = [date(2027, m, 1) for m in (1, 2, 5, 8)]
    verdict = check_frequency(BODIES["cypsp-programme"].meetings, bad, 2027)
    assert verdict.reason == "no meeting in quarter Q4"


def test_other_years_are_ignored() -> None:
    days = [date(2026, m, 14) for m in (1, 4, 7, 10)]
    assert not check_frequency(BODIES["worcs-partnership"].meetings, days, 2027).ok
