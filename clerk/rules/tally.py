"""Counting an email vote: per decision, ratified or not, with the counts and the reason (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from clerk.rules import quorum
from clerk.rules.people import Attendee, Seat, Who
from clerk.rules.quorum import Condition
from clerk.rules.verdict import Verdict, plural

Choice = Literal["approve", "reject", "abstain"]
PassRule = Literal["more_for_than_against", "majority_of_electorate", "unanimous"]


@dataclass(frozen=True)
class DecisionTally:
    number: int
    approve: int
    reject: int
    abstain: int
    ratified: bool
    reason: str


@dataclass(frozen=True)
class Tally:
    participation: Verdict
    decisions: tuple[DecisionTally, ...]
    voted: tuple[str, ...]
    not_voted: tuple[str, ...]


_VOTE_WORDS = (
    (re.compile(r"\b(\d+) of the (\d+) (.+?) needed (?:is|are) present"),
     r"only \1 of the \3 voted; \2 needed"),
    (re.compile(r"\b(\d+) (.+?) present; (\d+) needed"), r"\1 \2 voted; \3 needed"),
    (re.compile(r" is not present and has sent no substitute"), " did not vote"),
    (re.compile(r" is not present"), " did not vote"),
    (re.compile(r" is present"), " voted"),
)


def in_vote_words(reason: str) -> str:
    """A quorum reason ("6 carers present; 3 needed") as an email vote's ("6 carers voted; 3
    needed"): the participation rule is the quorum applied to those who voted."""
    for pattern, words in _VOTE_WORDS:
        reason = pattern.sub(words, reason)
    return reason


def may_vote(electorate: Who, seat: Seat) -> bool:
    """Whether ``seat`` is in a ballot's electorate: selected by the body's filter, and a voting
    member. A member with ``voting = no`` (an advisory member) never votes, whatever the filter."""
    return seat.voting and electorate.matches_seat(seat)


def _passes(rule: PassRule, approve: int, reject: int, electorate: int) -> Verdict:
    if rule == "more_for_than_against":
        ok = approve > reject
        return Verdict(ok, f"{approve} for and {reject} against: "
                           + ("more for than against" if ok else "not more for than against"))
    if rule == "majority_of_electorate":
        need = electorate // 2 + 1
        return Verdict(approve >= need, f"{approve} for; {need} of the {electorate} voters needed")
    ok = approve > 0 and reject == 0
    return Verdict(ok, f"{approve} for and {reject} against: "
                       + ("unanimous" if ok else "not unanimous"))


def tally(
    numbers: Sequence[int],
    electorate: Sequence[Seat],
    votes: Mapping[str, Mapping[int, Choice]],
    *,
    rule: PassRule = "more_for_than_against",
    participation: Condition | None = None,
) -> Tally:
    """Count ``votes`` (by voter email: decision number → choice) of a frozen ``electorate``.

    A decision is ratified when enough of the electorate took part (``participation``, applied to
    those who voted as if they were the attendance) and it passes ``rule``. Votes from anyone
    outside the electorate are not counted.
    """
    seats = {s.email: s for s in electorate}
    counted = {email: choices for email, choices in votes.items() if email in seats}
    if participation is None:
        taking_part = Verdict(bool(counted), f"{plural(len(counted), 'vote')} cast")
    else:
        taking_part = quorum.evaluate(participation, [Attendee(seats[e]) for e in counted])
        taking_part = Verdict(taking_part.ok, in_vote_words(taking_part.reason),
                              taking_part.parts)
    results = []
    for n in numbers:
        choices = [c.get(n, "abstain") for c in counted.values()]
        approve, reject = choices.count("approve"), choices.count("reject")
        abstain = len(choices) - approve - reject
        passes = _passes(rule, approve, reject, len(seats))
        if not taking_part.ok:
            ok, reason = False, f"too few votes: {taking_part.reason}"
        else:
            ok, reason = passes.ok, passes.reason
        results.append(DecisionTally(n, approve, reject, abstain, ok, reason))
    return Tally(taking_part, tuple(results), tuple(sorted(counted)),
                 tuple(sorted(e for e in seats if e not in counted)))


def may_open_ballot(when_inquorate: str, label: str, pending: int, open_ref: str) -> Verdict:
    """May a ratification vote be opened on a meeting's decisions? Only where the body ratifies
    decisions taken while inquorate by email vote, while none is open, and when some are still
    provisional (``pending``: provisional decisions in no vote yet). Codes: ``may_open``,
    ``not_by_vote``, ``open`` (``open_ref`` is open already), ``nothing_pending``."""
    if when_inquorate != "email_ratification":
        words = {"next_meeting": "takes decisions made while inquorate to its next meeting",
                 "no_business": "transacts no business while inquorate"}.get(
                     when_inquorate, "does not ratify decisions")
        return Verdict(False, f"{label} {words}; it does not ratify by email vote",
                       code="not_by_vote")
    if open_ref:
        return Verdict(False, f"the vote {open_ref} is open", code="open")
    if not pending:
        return Verdict(False, "no provisional decisions are awaiting ratification",
                       code="nothing_pending")
    return Verdict(True, f"{plural(pending, 'provisional decision')} awaiting ratification",
                   code="may_open")
