"""Counting an election's ballots (pure): one winner by plurality, or several seats by single
transferable vote under the Scottish STV rules, with ties settled by the rule the body names.

STV follows the count in the Scottish Local Government Elections Order 2007 (SSI 2007/42,
schedule 1, rules 45 to 52), the weighted inclusive Gregory method:

- the quota is the Droop quota: the valid ballots divided by one more than the seats, any
  fraction ignored, plus one;
- a candidate whose votes reach the quota is elected; the largest untransferred surplus is
  transferred first, before anyone is excluded, one surplus a stage;
- every ballot the elected candidate holds passes on, at a transfer value of
  ``surplus x its value / the candidate's votes``, worked to 5 decimal places with any remainder
  ignored, to its next preference for a continuing candidate (neither elected nor excluded);
- with no surplus left, the candidate with fewest votes is excluded and all their ballots pass
  on at the values they arrived with, in one stage;
- when the continuing candidates are no more than the seats left, they are all elected.

Equal surpluses (the larger goes first) and equal lowest votes (the lower is excluded) are
settled by the first earlier stage at which those candidates had unequal votes; when they were
equal at every stage, or in a plurality count, the body's tie rule decides (:data:`TieRule`):

- ``lot``: drawn reproducibly from the published ``seed``: the candidate whose
  ``sha256("SEED:STAGE:NAME")`` in hexadecimal sorts first is drawn, so anyone can check it;
- ``chair_casting``: the chair decides: without a ``casting`` order the count stops with code
  ``tie`` and the tied candidates; counted again with the chair's ``casting`` order, the first of
  the tied candidates in it is chosen;
- ``rerun``: the count stops with code ``tie`` and the tied candidates, for the election to be
  held again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from clerk.rules.terms import TieRule

TIE_RULES: tuple[TieRule, ...] = ("lot", "chair_casting", "rerun")
CountCode = Literal["elected", "tie"]
Action = Literal["first", "surplus", "exclusion", "remaining"]
TieBy = Literal["", "earlier_stage", "lot", "casting"]
Method = Literal["plurality", "scottish_stv"]

_PLACES = Decimal("0.00001")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Round:
    """One stage of a count: what it did (``action``: the first preferences, the transfer of
    ``of``'s surplus, the exclusion of ``of``, or electing the remaining candidates), each
    candidate's votes at its end (``votes``, in the order the candidates were given), what each
    received in it (``transfers``), the value that went to nobody (``non_transferable``: ballots
    with no further preference, and for a surplus the fractions ignored), who it elected and
    excluded, the transfer value of a surplus, and how a tie in it was settled (``tie_between``,
    ``tie_by``)."""

    number: int
    action: Action
    of: str
    votes: tuple[tuple[str, Decimal], ...]
    transfers: tuple[tuple[str, Decimal], ...] = ()
    non_transferable: Decimal = _ZERO
    elected: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    transfer_value: Decimal | None = None
    tie_between: tuple[str, ...] = ()
    tie_by: TieBy = ""

    def votes_of(self, name: str) -> Decimal:
        """``name``'s votes at the end of this stage (0 for a name not counted)."""
        return dict(self.votes).get(name, _ZERO)


@dataclass(frozen=True)
class CountResult:
    """A count's outcome: ``elected`` in the order elected; ``code`` ``tie`` when the tie rule
    leaves a tie for a person to decide (``tied``: between whom; ``elected`` then holds those
    elected before it); every stage (``rounds``); the quota (STV); the ballots not counted
    (``invalid``: no candidate named); the ``seed`` any lot was drawn from; the ``method``."""

    elected: tuple[str, ...]
    code: CountCode
    rounds: tuple[Round, ...]
    tied: tuple[str, ...] = ()
    quota: Decimal | None = None
    invalid: int = 0
    seed: str = ""
    method: Method = "plurality"
    seats: int = 1


def show(value: Decimal) -> str:
    """A number of votes as a count sheet writes it: ``12``, ``7.99986``."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def lot_key(seed: str, stage: int, name: str) -> str:
    """The hexadecimal sha256 of ``SEED:STAGE:NAME``: the lot at ``stage`` draws the tied
    candidate whose key sorts first."""
    return hashlib.sha256(f"{seed}:{stage}:{name}".encode()).hexdigest()


def draw_lot(seed: str, stage: int, tied: Sequence[str]) -> str:
    """The candidate drawn by lot from ``tied`` at ``stage`` (reproducible from ``seed``)."""
    return min(tied, key=lambda name: lot_key(seed, stage, name))


def _settle(tied: Sequence[str], *, tie: TieRule, seed: str, stage: int,
            casting: Sequence[str], highest: bool = True) -> tuple[str | None, TieBy]:
    """The candidate a tie picks: to be elected or transferred first (``highest``), or to be
    excluded. Under ``chair_casting``, ``casting`` is the Chair's order of preference: the first
    of the tied in it is picked, or for an exclusion the last (a tied candidate it leaves out
    counting as after those it names; two left out stay tied)."""
    if tie == "lot":
        return draw_lot(seed, stage, tied), "lot"
    if tie == "chair_casting":
        ranked = [name for name in casting if name in tied]
        if highest and ranked:
            return ranked[0], "casting"
        unranked = [name for name in tied if name not in ranked]
        if not highest and len(unranked) == 1:
            return unranked[0], "casting"
        if not highest and not unranked and ranked:
            return ranked[-1], "casting"
    return None, ""


def _truncate(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_DOWN)


def _check(candidates: Sequence[str], seats: int) -> None:
    if not candidates:
        raise ValueError("a count needs at least one candidate")
    if len(set(candidates)) != len(candidates):
        raise ValueError("a candidate is named twice")
    if seats < 1:
        raise ValueError("a count needs at least one seat")


def count_plurality(ballots: Sequence[str], candidates: Sequence[str], *, tie: TieRule,
                    seed: str, casting: Sequence[str] = ()) -> CountResult:
    """One winner: the candidate named on most ballots. A ballot naming no candidate is not
    counted (``invalid``). Several candidates equal at the top are settled by ``tie``."""
    _check(candidates, 1)
    votes = {name: 0 for name in candidates}
    invalid = 0
    for ballot in ballots:
        if ballot in votes:
            votes[ballot] += 1
        else:
            invalid += 1
    top = max(votes.values())
    leaders = tuple(name for name in candidates if votes[name] == top)
    tally = tuple((name, Decimal(votes[name])) for name in candidates)
    if len(leaders) == 1:
        winner: str | None = leaders[0]
        tie_by: TieBy = ""
    else:
        winner, tie_by = _settle(leaders, tie=tie, seed=seed, stage=1, casting=casting)
    between = leaders if len(leaders) > 1 else ()
    if winner is None:
        first = Round(1, "first", "", tally, non_transferable=Decimal(invalid),
                      tie_between=between)
        return CountResult((), "tie", (first,), leaders, invalid=invalid, seed=seed)
    first = Round(1, "first", "", tally, non_transferable=Decimal(invalid), elected=(winner,),
                  tie_between=between, tie_by=tie_by)
    return CountResult((winner,), "elected", (first,), invalid=invalid, seed=seed)


@dataclass
class _Paper:
    prefs: tuple[str, ...]
    value: Decimal
    at: int


@dataclass
class _Count:
    candidates: tuple[str, ...]
    seats: int
    quota: Decimal
    tie: TieRule
    seed: str
    casting: tuple[str, ...]
    votes: dict[str, Decimal]
    piles: dict[str, list[_Paper]]
    elected: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    history: list[dict[str, Decimal]] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)

    def continuing(self) -> list[str]:
        return [c for c in self.candidates if c not in self.elected and c not in self.excluded]

    def snapshot(self) -> tuple[tuple[str, Decimal], ...]:
        return tuple((c, self.votes[c]) for c in self.candidates)

    def elect_reaching_quota(self) -> tuple[str, ...]:
        reached = [c for c in self.continuing() if self.votes[c] >= self.quota]
        reached.sort(key=lambda c: -self.votes[c])
        self.elected.extend(reached)
        self.pending.extend(c for c in reached if self.votes[c] > self.quota)
        return tuple(reached)

    def pick(self, tied: list[str], *, highest: bool) -> tuple[str | None, TieBy]:
        """From candidates with equal votes now: the first earlier stage at which they had
        unequal votes decides; failing that, the tie rule."""
        left = list(tied)
        for stage in self.history[:-1]:
            values = {stage[c] for c in left}
            if len(values) > 1:
                best = max(values) if highest else min(values)
                left = [c for c in left if stage[c] == best]
                if len(left) == 1:
                    return left[0], "earlier_stage"
        return _settle(left, tie=self.tie, seed=self.seed, stage=len(self.rounds) + 1,
                       casting=self.casting, highest=highest)

    def move(self, papers: list[_Paper], values: list[Decimal]) -> tuple[dict[str, Decimal],
                                                                          Decimal]:
        """Pass each paper on, at its value, to its next preference for a continuing
        candidate: what each received, and the value with no further preference."""
        open_ = set(self.continuing())
        received = {c: _ZERO for c in self.candidates if c in open_}
        exhausted = _ZERO
        for paper, value in zip(papers, values, strict=True):
            nxt = next((i for i in range(paper.at + 1, len(paper.prefs))
                        if paper.prefs[i] in open_), None)
            if nxt is None:
                exhausted += value
                continue
            name = paper.prefs[nxt]
            self.piles[name].append(_Paper(paper.prefs, value, nxt))
            received[name] += value
        for name, value in received.items():
            self.votes[name] += value
        return received, exhausted


def _stv_papers(ballots: Sequence[Sequence[str]], candidates: Sequence[str]
                ) -> tuple[list[tuple[str, ...]], int]:
    known = set(candidates)
    papers: list[tuple[str, ...]] = []
    invalid = 0
    for ballot in ballots:
        prefs: list[str] = []
        for name in ballot:
            if name in known and name not in prefs:
                prefs.append(name)
        if prefs:
            papers.append(tuple(prefs))
        else:
            invalid += 1
    return papers, invalid


def count_stv(ballots: Sequence[Sequence[str]], candidates: Sequence[str], seats: int, *,
              tie: TieRule, seed: str, casting: Sequence[str] = ()) -> CountResult:
    """``seats`` winners by single transferable vote under the Scottish STV rules (see the
    module's docstring). Each ballot lists candidates in order of preference; names that are not
    candidates and repeated names are passed over, and a ballot naming no candidate is not
    counted (``invalid``)."""
    _check(candidates, seats)
    papers, invalid = _stv_papers(ballots, candidates)
    quota = Decimal(len(papers) // (seats + 1) + 1)
    count = _Count(tuple(candidates), seats, quota, tie, seed, tuple(casting),
                   votes={c: _ZERO for c in candidates}, piles={c: [] for c in candidates})
    for prefs in papers:
        count.piles[prefs[0]].append(_Paper(prefs, Decimal(1), 0))
        count.votes[prefs[0]] += 1
    count.history.append(dict(count.votes))
    first_elected = count.elect_reaching_quota()
    count.rounds.append(Round(1, "first", "", count.snapshot(),
                              non_transferable=Decimal(invalid), elected=first_elected))

    def result(code: CountCode = "elected", tied: tuple[str, ...] = ()) -> CountResult:
        return CountResult(tuple(count.elected), code, tuple(count.rounds), tied, quota,
                           invalid, seed, "scottish_stv", seats)

    while len(count.elected) < seats:
        number = len(count.rounds) + 1
        continuing = count.continuing()
        if len(continuing) <= seats - len(count.elected):
            rest = sorted(continuing, key=lambda c: -count.votes[c])
            count.elected.extend(rest)
            count.rounds.append(Round(number, "remaining", "", count.snapshot(),
                                      elected=tuple(rest)))
            break
        count.pending = [c for c in count.pending if count.votes[c] > quota]
        if count.pending:
            largest = max(count.votes[c] for c in count.pending)
            tied = [c for c in count.pending if count.votes[c] == largest]
            chosen, tie_by = count.pick(tied, highest=True) if len(tied) > 1 else (tied[0], "")
            if chosen is None:
                return result("tie", tuple(tied))
            total = count.votes[chosen]
            surplus = total - quota
            pile = count.piles[chosen]
            values = [_truncate(surplus * paper.value / total) for paper in pile]
            count.piles[chosen] = []
            count.votes[chosen] = quota
            count.pending.remove(chosen)
            received, _ = count.move(pile, values)
            lost = surplus - sum(received.values(), _ZERO)
            action: Action = "surplus"
            value: Decimal | None = _truncate(surplus / total)
            excluded: tuple[str, ...] = ()
        else:
            lowest = min(count.votes[c] for c in continuing)
            tied = [c for c in continuing if count.votes[c] == lowest]
            chosen, tie_by = count.pick(tied, highest=False) if len(tied) > 1 else (tied[0], "")
            if chosen is None:
                return result("tie", tuple(tied))
            count.excluded.append(chosen)
            pile = count.piles[chosen]
            count.piles[chosen] = []
            count.votes[chosen] = _ZERO
            received, lost = count.move(pile, [paper.value for paper in pile])
            action, value, excluded = "exclusion", None, (chosen,)
        count.history.append(dict(count.votes))
        newly = count.elect_reaching_quota()
        count.rounds.append(Round(
            number, action, chosen, count.snapshot(),
            transfers=tuple((c, v) for c, v in received.items()), non_transferable=lost,
            elected=newly, excluded=excluded, transfer_value=value,
            tie_between=tuple(tied) if len(tied) > 1 else (), tie_by=tie_by))
    return result()
