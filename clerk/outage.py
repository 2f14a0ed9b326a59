"""Logging a server (or folder) that stays down: one WARNING when it goes down, a reminder every
few minutes while it stays down, and one INFO line when it is back; not a line per attempt.

:class:`Outage` only keeps the book (since when, how many attempts, when last reminded) and
writes those lines; the caller says when an attempt failed or succeeded. The clock is injected
so tests can move time by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from clerk.clock import Clock

REMIND_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Down:
    """An outage in progress: since when, how many attempts failed, the last reason."""

    since: datetime
    attempts: int
    reason: str


def duration_in_words(delta: timedelta) -> str:
    """``45 s``, ``7 min``, ``2 h 5 min``, ``3 days 4 h``."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")


class Outage:
    """The up/down state of one thing clerk depends on (``what``: "SMTP server host:587").

    ``failed(reason)`` after each failed attempt, ``succeeded(note)`` after one that worked;
    ``consequence`` ends the first WARNING ("mail stays queued and is sent when it is back");
    ``down`` says what is wrong with it ("down"; "not usable" for a folder).
    """

    def __init__(self, what: str, log: logging.Logger, clock: Clock, *,
                 consequence: str = "", remind_every: timedelta = REMIND_EVERY,
                 tz: tzinfo | None = None, down: str = "down") -> None:
        self.what = what
        self.log = log
        self.clock = clock
        self.consequence = consequence
        self.remind_every = remind_every
        self.tz = tz
        self.down_word = down
        self._down: Down | None = None
        self._reminded: datetime | None = None

    @property
    def down(self) -> Down | None:
        """The outage in progress, or None while the server is up (or not tried yet)."""
        return self._down

    def failed(self, reason: str) -> None:
        """An attempt failed: the first failure is logged, then a reminder every few minutes."""
        now = self.clock.now()
        if self._down is None:
            self._down = Down(now, 1, reason)
            self._reminded = now
            self.log.warning("%s is %s: %s%s", self.what, self.down_word, reason,
                             f"; {self.consequence}" if self.consequence else "")
            return
        self._down = Down(self._down.since, self._down.attempts + 1, reason)
        if self._reminded is not None and now - self._reminded < self.remind_every:
            return
        self._reminded = now
        self.log.warning("%s still %s since %s (%d attempts): %s", self.what, self.down_word,
                         self._time(self._down.since, now), self._down.attempts, reason)

    def succeeded(self, note: str = "") -> None:
        """An attempt worked: if it was down, say once that it is back (and for how long it
        was down), with ``note`` ("12 queued messages") after it."""
        down, self._down = self._down, None
        self._reminded = None
        if down is None:
            return
        self.log.info("%s is back after %s%s", self.what,
                      duration_in_words(self.clock.now() - down.since),
                      f"; {note}" if note else "")

    def _time(self, when: datetime, now: datetime) -> str:
        local, today = (when.astimezone(self.tz), now.astimezone(self.tz))
        if local.date() == today.date():
            return f"{local:%H:%M}"
        return f"{local:%a %d %b %H:%M}"
