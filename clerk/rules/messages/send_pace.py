"""How fast the outbox may send (pure): ``[mail.smtp] max_per_minute``, and slowing down by
itself when the server answers "too many".

Messages are spaced evenly: at 30 a minute one starts every 2 seconds (no bursts; Exchange
Online counts 30 a minute per mailbox). A throttling answer (:func:`is_throttling`: 421 4.7.0,
450/451 "too many", 451 4.7.500 "Server busy", 452 4.5.3, Exchange's 432 4.3.2 STOREDRV, Gmail's
421 4.7.28 and 451 4.3.0 "temporarily rejected" ...) halves the pace (down to one a minute) and
waits a whole step of the new pace before the next message; each minute without another such
answer the pace grows by half again, until it is back at the configured limit (or, without one,
at no limit). :class:`SendPace` reports each change as a :class:`PaceChange` so that the caller
logs one line per change, not one per message.

No daily cap is kept: Exchange's 10,000 recipients a day is far above what a board's mail comes
to (clerk sends one recipient per message). A mailbox that does reach its provider's daily cap is
refused with a 5xx that is not about the message (Exchange's "554 5.2.0 STOREDRV.Submission.
Exception:SubmissionQuotaExceededException", Gmail's "550 5.4.5 Daily user sending limit
exceeded"): :func:`is_sending_quota` tells it apart, so that the mail stays queued and the pace is
halved, rather than the messages failed.

The clock is injected (seconds, e.g. ``time.monotonic``) so tests can move time by hand.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

#: The slowest the sender goes by itself: one message a minute.
SLOWEST_PER_MINUTE = 1.0
#: Seconds without a throttling answer before the pace grows a step.
RECOVER_EVERY = 60.0
#: How much the pace grows each step back (and shrinks at a throttling answer).
GROW_BY = 1.5
SHRINK_BY = 0.5
#: The pace assumed, before halving, when there was no limit and nothing sent in the last minute.
ASSUMED_PER_MINUTE = 60.0

_CODE = re.compile(r"\b(4\d\d)(?:[ -]+(4\.\d{1,3}\.\d{1,3}))?")
_WORDS = ("too many", "rate limit", "rate-limit", "ratelimit", "unusual rate", "throttl", "busy",
          "limit exceeded", "temporarily rejected", "slow down", "too fast", "sending limit",
          "submissionquota")


def is_throttling(answer: str) -> bool:
    """Whether a server's temporary answer means "you are sending too fast": a 4xx whose
    enhanced code or words say so. Greylisting (451 4.7.1), a full mailbox (452 4.2.2) or a
    plain "temporary local problem" (451 4.3.0) are not."""
    found = _CODE.search(answer)
    if found is None:
        return False
    code, enhanced = found.group(1), found.group(2) or ""
    text = answer.lower()
    if enhanced.startswith("4.2."):  # the recipient's mailbox (full, disabled): not our pace
        return False
    if code == "432" or enhanced in {"4.7.28", "4.5.3"} or re.fullmatch(r"4\.7\.5\d\d", enhanced):
        return True
    if code == "421" and enhanced == "4.7.0":
        return True
    return any(word in text for word in _WORDS)


_QUOTA_WORDS = ("submissionquotaexceeded", "sending limit exceeded", "sending quota exceeded",
                "daily limit for sending", "recipient rate limit", "message rate limit")


def is_sending_quota(answer: str) -> bool:
    """Whether a 5xx answer says clerk's own mailbox has reached its sending cap (a day's or an
    hour's): not the message's fault nor the recipient's, so the mail stays queued."""
    found = re.search(r"\b5\d\d\b", answer)
    return found is not None and any(word in answer.lower() for word in _QUOTA_WORDS)


class PaceKind(Enum):
    """What changed: slower (a throttling answer), faster (a step back), or back to the setting."""

    SLOWER = "slower"
    FASTER = "faster"
    RESTORED = "restored"


@dataclass(frozen=True)
class PaceChange:
    """One change of pace: the new pace (messages a minute; None: no limit) and, when slower,
    the server's answer that asked for it."""

    kind: PaceKind
    per_minute: float | None
    answer: str = ""

    @property
    def words(self) -> str:
        """The new pace in words: "at most 15 messages a minute", "no limit"."""
        return pace_in_words(self.per_minute)


def pace_in_words(per_minute: float | None) -> str:
    """``at most 30 messages a minute``; ``no limit``."""
    if per_minute is None:
        return "no limit"
    shown = f"{per_minute:.0f}" if per_minute >= 10 else f"{per_minute:.1f}".rstrip("0").rstrip(".")
    return f"at most {shown} message{'s' if shown != '1' else ''} a minute"


class SendPace:
    """The pace of one sender: ask :meth:`wait` before each message, call :meth:`started` as it
    is handed over and :meth:`throttled` when the server answers "too many"."""

    def __init__(self, max_per_minute: int | None, *, clock: Callable[[], float],
                 recover_every: float = RECOVER_EVERY) -> None:
        self.configured: float | None = float(max_per_minute) if max_per_minute else None
        self.clock = clock
        self.recover_every = recover_every
        self._per_minute = self.configured
        self._ceiling = self.configured  # what recovery climbs back to (None: no limit)
        self._next_at: float | None = None  # the earliest start of the next message
        self._calm_since: float | None = None  # since when slowed without a new throttle
        self._recent: deque[float] = deque()  # starts in the last minute (for "no limit")

    @property
    def per_minute(self) -> float | None:
        """The pace now, in messages a minute; None: no limit."""
        return self._per_minute

    @property
    def slowed(self) -> bool:
        """Whether the server made us go slower than configured."""
        return self._calm_since is not None

    def wait(self) -> float:
        """Seconds to wait before the next message may start (0: now)."""
        if self._next_at is None:
            return 0.0
        return max(0.0, self._next_at - self.clock())

    def started(self) -> PaceChange | None:
        """A message is being handed over now; the change of pace this brings (a step back
        towards the setting after a calm minute), if any."""
        now = self.clock()
        change = self._recover(now)
        self._recent.append(now)
        while self._recent and self._recent[0] <= now - 60:
            self._recent.popleft()
        self._next_at = None if self._per_minute is None else now + 60 / self._per_minute
        return change

    def throttled(self, answer: str) -> PaceChange:
        """The server answered "too many": halve the pace and wait a whole step of it."""
        now = self.clock()
        current = self._per_minute
        if current is None:  # no limit: start from what we really sent in the last minute
            current = self._observed(now)
            self._ceiling = current
        slower = max(SLOWEST_PER_MINUTE, current * SHRINK_BY)
        self._per_minute = slower
        self._calm_since = now
        self._next_at = now + 60 / slower
        return PaceChange(PaceKind.SLOWER, slower, answer)

    def seconds_for(self, remaining: int) -> float | None:
        """How long ``remaining`` messages take at the pace now (None: no limit)."""
        if self._per_minute is None or remaining <= 0:
            return None if self._per_minute is None else 0.0
        return remaining * 60 / self._per_minute

    def _observed(self, now: float) -> float:
        recent = [t for t in self._recent if t > now - 60]
        if not recent:
            return ASSUMED_PER_MINUTE
        span = max(now - recent[0], 1.0)
        return max(SLOWEST_PER_MINUTE, len(recent) * 60 / span)

    def _recover(self, now: float) -> PaceChange | None:
        if self._calm_since is None or self._per_minute is None:
            return None
        if now - self._calm_since < self.recover_every:
            return None
        faster = self._per_minute * GROW_BY
        if self._ceiling is None or faster >= self._ceiling:
            self._per_minute, self._calm_since = self.configured, None
            self._ceiling = self.configured
            return PaceChange(PaceKind.RESTORED, self._per_minute)
        self._per_minute, self._calm_since = faster, now
        return PaceChange(PaceKind.FASTER, faster)
