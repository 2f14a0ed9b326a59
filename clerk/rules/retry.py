"""When to try a queued message again after a temporary failure, and when to give up (pure).

One policy, :class:`RetryPolicy`, for both outboxes; only its figures differ:

* :data:`MAIL` (the email outbox): waits double from one minute (1, 2, 4, 8 ... minutes) up to
  an hour between tries; a message still not delivered a day after it was queued is given up,
  so a person is not told about a meeting days late without anyone noticing.
* :data:`CHAT` (the chat outbox): thirty seconds between tries (Telegram is back quickly or
  not at all), and given up after the fifth failed try. A wait the chat service asks for (a
  flood limit's ``retry_after``) replaces the policy's wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPlan:
    """``at`` is when to try again, or None to give up; ``reason`` says which and why."""

    at: datetime | None
    reason: str

    @property
    def give_up(self) -> bool:
        return self.at is None


@dataclass(frozen=True)
class RetryPolicy:
    """Waits that double from ``first`` up to ``longest``; give up once the message has waited
    ``give_up_after`` since it was queued, or after ``max_attempts`` failed tries (either, when
    both are set; at least one must be)."""

    first: timedelta
    longest: timedelta
    give_up_after: timedelta | None = None
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.give_up_after is None and self.max_attempts is None:
            raise ValueError("a retry policy must give up some time")

    def wait_after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed try (1 → ``first``, 2 → twice that, ...)."""
        if attempts < 1:
            return timedelta(0)
        doublings = min(attempts - 1, 30)  # 2**30 times any first wait is far beyond any cap
        factor: int = 2 ** doublings  # (int ** int is typed Any: a negative exponent gives a float)
        return min(self.first * factor, self.longest)

    def plan(self, queued_at: datetime, attempts: int, now: datetime, *,
             wait: timedelta | None = None) -> RetryPlan:
        """After ``attempts`` failed tries of a message queued at ``queued_at``: retry when, or
        stop. ``wait``, when given, is the wait the other side asked for, used instead of the
        policy's own."""
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return RetryPlan(None, f"not delivered after {attempts} tries")
        if self.give_up_after is not None and now - queued_at >= self.give_up_after:
            hours = int(self.give_up_after.total_seconds() // 3600)
            return RetryPlan(None, f"not delivered after {attempts} tries over {hours} hours")
        pause = self.wait_after(attempts) if wait is None else wait
        return RetryPlan(now + pause, f"try {attempts + 1} in {_words(pause)}")

    def table(self) -> list[timedelta]:
        """The waits after each failed try until the policy gives up, for a message whose tries
        take no time: the n-th entry is the wait after the n-th failure, and the failure after
        the last entry is given up."""
        waits: list[timedelta] = []
        queued = datetime(2000, 1, 1)
        now = queued
        while True:
            plan = self.plan(queued, len(waits) + 1, now)
            if plan.at is None:
                return waits
            waits.append(plan.at - now)
            now = plan.at


def _words(wait: timedelta) -> str:
    seconds = int(wait.total_seconds())
    if seconds < 60:
        return f"{seconds} seconds"
    return f"{seconds // 60} minutes"


#: The email outbox's policy.
MAIL = RetryPolicy(first=timedelta(minutes=1), longest=timedelta(hours=1),
                   give_up_after=timedelta(hours=24))
#: The chat outbox's policy.
CHAT = RetryPolicy(first=timedelta(seconds=30), longest=timedelta(seconds=30), max_attempts=5)
