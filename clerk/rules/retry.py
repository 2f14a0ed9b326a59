"""When to try a message again after a temporary failure, and when to give up (pure).

Waits double from one minute (1, 2, 4, 8 ... minutes) up to an hour between tries; a message
still not delivered a day after it was queued is given up, so a person is not told about a
meeting days late without anyone noticing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class RetryPlan:
    """``at`` is when to try again, or None to give up; ``reason`` says which and why."""

    at: datetime | None
    reason: str

    @property
    def give_up(self) -> bool:
        return self.at is None


def wait_after(attempts: int, *, first: timedelta = FIRST_WAIT,
               longest: timedelta = LONGEST_WAIT) -> timedelta:
    """The wait after the ``attempts``-th failed try (1 → one minute, 2 → two, ...)."""
    if attempts < 1:
        return timedelta(0)
    doublings = min(attempts - 1, 30)  # 2**30 minutes is far beyond any cap
    factor: int = 2 ** doublings  # (int ** int is typed Any: a negative exponent gives a float)
    return min(first * factor, longest)


def plan_retry(queued_at: datetime, attempts: int, now: datetime, *,
               give_up_after: timedelta = GIVE_UP_AFTER) -> RetryPlan:
    """After ``attempts`` failed tries of a message queued at ``queued_at``: retry when, or stop."""
    if now - queued_at >= give_up_after:
        hours = int(give_up_after.total_seconds() // 3600)
        return RetryPlan(None, f"not delivered after {attempts} tries over {hours} hours")
    wait = wait_after(attempts)
    return RetryPlan(now + wait, f"try {attempts + 1} in {int(wait.total_seconds() // 60)} minutes")
