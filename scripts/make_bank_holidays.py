"""Write clerk/rules/bank_holidays.py: England's bank holidays from the `holidays` package, as a
table, so that clerk does not import `holidays` (which loads every country's calendar, about
17 MB) for the years in it. Run it after upgrading `holidays`; tests/test_bank_holidays.py fails
while the table and the package disagree. Usage: .venv/bin/python scripts/make_bank_holidays.py"""

from __future__ import annotations

from pathlib import Path

import holidays

FIRST, LAST = 2000, 2060
OUT = Path(__file__).resolve().parent.parent / "clerk" / "rules" / "bank_holidays.py"


def main() -> None:
    lines = ['"""England\'s bank holidays (substitute days included), ' f"{FIRST} to {LAST}, as the "
             "`holidays`\npackage gives them: written by scripts/make_bank_holidays.py, checked "
             'against the package by\ntests/test_bank_holidays.py. Do not edit by hand."""',
             "", "from __future__ import annotations", "", f"FIRST_YEAR = {FIRST}",
             f"LAST_YEAR = {LAST}", "",
             "#: (year, month, day, name) of every bank holiday in the years above, in order.",
             "BANK_HOLIDAYS: tuple[tuple[int, int, int, str], ...] = ("]
    for year in range(FIRST, LAST + 1):
        for day, name in sorted(holidays.country_holidays("GB", subdiv="ENG", years=year).items()):
            lines.append(f"    ({day.year}, {day.month}, {day.day}, {name!r}),")
    lines.append(")")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
