"""The pacing rule on its own (clerk.rules.messages.send_pace), on a clock moved by hand: even spacing at
``max_per_minute``, halving at a "too many" answer, a step back each calm minute, and which
server answers count as throttling."""

from __future__ import annotations

import pytest

from clerk.rules.messages.send_pace import PaceKind, SendPace, is_sending_quota, is_throttling, pace_in_words


class Seconds:
    """A monotonic clock in seconds that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_limit_never_waits() -> None:
    clock = Seconds()
    pace = SendPace(None, clock=clock)
    for _ in range(100):
        assert pace.wait() == 0
        assert pace.started() is None
    assert pace.per_minute is None and pace.seconds_for(200) is None


def test_thirty_a_minute_is_one_every_two_seconds_and_200_take_about_7_minutes() -> None:
    clock = Seconds()
    pace = SendPace(30, clock=clock)
    assert pace.wait() == 0  # the first goes at once
    pace.started()
    assert pace.wait() == pytest.approx(2.0)
    clock.now += 1.5
    assert pace.wait() == pytest.approx(0.5)
    clock.now += 0.5
    assert pace.wait() == 0
    assert pace.seconds_for(200) == pytest.approx(400)  # 6 min 40 s


def test_a_throttling_answer_halves_the_pace_and_calm_minutes_bring_it_back() -> None:
    clock = Seconds()
    pace = SendPace(30, clock=clock)
    pace.started()
    clock.now += 2
    pace.started()
    change = pace.throttled("451 4.7.500 Server busy. Please try again later.")
    assert (change.kind, change.per_minute) == (PaceKind.SLOWER, 15)
    assert change.words == "at most 15 messages a minute"
    assert pace.wait() == pytest.approx(4.0)  # a whole step of the new pace
    assert pace.slowed
    for expected in (7.5, 3.75, 1.875, 1.0, 1.0):  # again and again: down to one a minute
        clock.now += 1
        assert pace.throttled("421 4.7.0 Too many messages").per_minute == expected
    assert pace.wait() == pytest.approx(60)

    changes = []
    for _ in range(20):  # one message a minute, no more refusals
        clock.now += 60
        step = pace.started()
        if step is not None:
            changes.append((step.kind, round(step.per_minute or 0, 2)))
    # one change per calm minute, each half again, until the setting: never above it
    assert changes == [(PaceKind.FASTER, 1.5), (PaceKind.FASTER, 2.25), (PaceKind.FASTER, 3.38),
                       (PaceKind.FASTER, 5.06), (PaceKind.FASTER, 7.59), (PaceKind.FASTER, 11.39),
                       (PaceKind.FASTER, 17.09), (PaceKind.FASTER, 25.63), (PaceKind.RESTORED, 30)]
    assert pace.per_minute == 30 and not pace.slowed


def test_without_a_limit_a_throttling_answer_halves_what_was_really_sent_then_no_limit_again() -> None:
    clock = Seconds()
    pace = SendPace(None, clock=clock)
    for _ in range(50):  # 50 in 10 seconds: 300 a minute
        pace.started()
        clock.now += 0.2
    change = pace.throttled("421 4.7.28 Our system has detected an unusual rate of mail")
    assert change.per_minute == pytest.approx(150, rel=0.05)
    assert change.per_minute is not None
    assert pace.wait() == pytest.approx(60 / change.per_minute)
    clock.now += 60
    assert pace.started() is not None  # 225 a minute
    clock.now += 60
    restored = pace.started()
    assert restored is not None and restored.kind is PaceKind.RESTORED
    assert restored.per_minute is None and pace.per_minute is None
    assert pace.wait() == 0


def test_a_throttle_before_anything_was_sent_starts_from_one_a_second() -> None:
    pace = SendPace(None, clock=Seconds())
    assert pace.throttled("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
                          ).per_minute == 30


@pytest.mark.parametrize("answer", [
    "421 4.7.0 Try again later, closing connection.",
    "421 4.7.0 Too many messages from this sender",
    "450 4.7.1 Too many recipients this hour, slow down",
    "451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (S77719)",
    "451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited",
    "452 4.5.3 Too many recipients",
    "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
    "451 4.3.2 STOREDRV; mailbox server is too busy",
    "421 4.7.28 Our system has detected an unusual rate of unsolicited mail",
    "451 4.3.0 Mail server temporarily rejected message.",
    "cannot connect to the SMTP server smtp.office365.com:587: 421 4.3.2 Service busy, too many "
    "connections",
])
def test_throttling_answers(answer: str) -> None:
    assert is_throttling(answer)


@pytest.mark.parametrize("answer", [
    "451 4.7.1 Greylisted, please try again in a few minutes",  # a first-time sender, not pace
    "452 4.2.2 The email account that you tried to reach is over quota",
    "451 4.3.0 Temporary local problem, try again later",
    "450 4.2.1 Mailbox unavailable, try again later",
    "550 5.1.1 User unknown",
    "connection to smtp.example.org:587 lost: timed out",
])
def test_answers_that_are_not_about_pace(answer: str) -> None:
    assert not is_throttling(answer)


def test_pace_in_words() -> None:
    assert pace_in_words(None) == "no limit"
    assert pace_in_words(30) == "at most 30 messages a minute"
    assert pace_in_words(1) == "at most 1 message a minute"
    assert pace_in_words(3.75) == "at most 3.8 messages a minute"


@pytest.mark.parametrize(("answer", "quota"), [
    ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
     "process message due to a permanent exception with message Cannot submit message.", True),
    ("550 5.4.5 Daily user sending limit exceeded.", True),
    ("550 5.1.1 User unknown", False),
    ("552 5.2.2 Mailbox full: quota exceeded", False),  # the recipient's quota, not ours
    ("451 4.7.500 Server busy", False),
])
def test_a_mailbox_at_its_sending_cap_is_told_apart_from_a_refused_message(answer: str,
                                                                            quota: bool) -> None:
    assert is_sending_quota(answer) is quota
