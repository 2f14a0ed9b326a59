"""England's bank holidays come from a table written from the `holidays` package (so clerk does
not load every country's calendar), and the table agrees with the package, year by year."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import holidays

from clerk.rules.bank_holidays import BANK_HOLIDAYS, FIRST_YEAR, LAST_YEAR
from clerk.rules.workdays import bank_holiday_name, is_bank_holiday


def test_the_table_agrees_with_the_holidays_package() -> None:
    """Fails after an upgrade of `holidays` changes a day: run scripts/make_bank_holidays.py."""
    table = {date(y, m, d): name for y, m, d, name in BANK_HOLIDAYS}
    package: dict[date, str] = {}
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        package.update(holidays.country_holidays("GB", subdiv="ENG", years=year))
    assert table == package


def test_days_are_read_from_the_table_and_beyond_it_from_the_package() -> None:
    assert bank_holiday_name(date(2027, 3, 29)) == "Easter Monday"
    assert is_bank_holiday(date(2026, 12, 28))  # Boxing Day (observed)
    assert not is_bank_holiday(date(2027, 1, 14))
    assert bank_holiday_name(date(LAST_YEAR + 1, 12, 25)) == "Christmas Day"


def test_checking_a_day_does_not_load_every_countrys_calendar() -> None:
    code = ("import sys; from datetime import date; from clerk.rules.workdays import "
            "add_working_days, is_bank_holiday; is_bank_holiday(date(2027, 5, 3)); "
            "print('holidays' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
