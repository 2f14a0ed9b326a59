"""Meeting frequency: does a year's schedule meet the body's minimum?"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clerk.rules.verdict import Verdict, plural

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


class FrequencyPolicy(BaseModel):
    """At least ``min_per_year`` meetings; with ``every``, one in each month or quarter."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    min_per_year: int = Field(default=0, ge=0)
    every: Literal["month", "quarter"] | None = None
    note: str = ""


def check_frequency(policy: FrequencyPolicy, meetings: Iterable[date], year: int) -> Verdict:
    """Whether the meetings scheduled in ``year`` meet the body's minimum, and what is missing."""
    days = sorted(d for d in meetings if d.year == year)
    problems = []
    if len(days) < policy.min_per_year:
        problems.append(f"{plural(len(days), 'meeting')} scheduled in {year}, "
                        f"at least {policy.min_per_year} needed")
    if policy.every == "month":
        empty = [m for m in range(1, 13) if not any(d.month == m for d in days)]
        if empty:
            problems.append("no meeting in " + ", ".join(_MONTHS[m - 1] for m in empty))
    elif policy.every == "quarter":
        empty = [q for q in range(1, 5) if not any((d.month - 1) // 3 + 1 == q for d in days)]
        if empty:
            problems.append("no meeting in quarter " + ", ".join(f"Q{q}" for q in empty))
    if problems:
        return Verdict(False, "; ".join(problems))
    return Verdict(True, f"{plural(len(days), 'meeting')} scheduled in {year}; the minimum is met")
