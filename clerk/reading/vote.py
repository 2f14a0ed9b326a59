"""Reading a vote on a ballot's decisions: approve, reject or abstain, overall or decision by decision.

Pure and channel-independent. "I approve all", "1 approve, 2 reject", "all except 2, which I
reject", "approve, approve, reject" (one answer per decision, in order) are votes; an answer that
contradicts itself, names a decision that does not exist or leaves one out is unclear, with the
reason as a code (:data:`VoteUnclearCode`) that chooses what the voter is told
(:mod:`clerk.mail_in.responses`), and a sentence for the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeGuard, get_args

from clerk.reading.scan import lower, prepare, rx

VoteChoice = Literal["approve", "reject", "abstain"]

VoteFirmCode = Literal[
    "in_order",  # one answer per decision, in order ("approve, approve, reject")
    "votes_read",  # an overall answer and/or answers decision by decision
]
"""Why a vote reads as a choice for every decision."""

VoteUnclearCode = Literal[
    "no_vote",  # no approve, reject or abstain at all
    "singled_out_without_vote",  # "except 2" with no vote given
    "overall_both",  # the overall answer reads as two different choices
    "no_such_decision",  # names a decision the ballot does not have
    "decision_both",  # more than one answer for one decision
    "decision_missing",  # no answer for some decision
]
"""Why a vote is unclear: each is told to the voter in words of its own."""

VoteCode = Literal[VoteFirmCode, VoteUnclearCode]

UNCLEAR_CODES: frozenset[str] = frozenset(get_args(VoteUnclearCode))


def unclear_vote(code: VoteCode) -> TypeGuard[VoteUnclearCode]:
    """Whether ``code`` says why a reading is unclear (one of :data:`VoteUnclearCode`)."""
    return code in UNCLEAR_CODES


@dataclass(frozen=True)
class VoteReading:
    """A vote on ``n_decisions`` decisions: ``choices`` covers 1..n unless the reading is unclear.

    ``code`` says why it reads as it does; for an unclear reading ``decisions`` are the decision
    numbers concerned and ``conflict`` the choices that contradict each other (``overall_both``).
    ``reason`` is a sentence for the log, ``evidence`` the phrases that decided it."""

    code: VoteCode
    n_decisions: int
    choices: dict[int, str] = field(default_factory=dict)
    reason: str = ""
    evidence: str = ""
    overall: str | None = None
    decisions: tuple[int, ...] = ()
    conflict: tuple[str, ...] = ()

    @property
    def unclear(self) -> bool:
        return self.code in UNCLEAR_CODES


# --------------------------------------------------------------------------- vocabulary

_VOTE_NEGATED = rx(
    r"\b(?:do not|don't|dont|cannot|can't|can not|won't|will not|not|unable to|couldn't|could not)"
    r"(?: [\w']+)?? (?:approve|agree|support|accept|endorse|back|be in favou?r|in favou?r|vote for)\w*\b"
)
_VOTE_APPROVE_IDIOMS = rx(
    r"\bno (?:objections?|concerns|issues|problems?)\b",
    r"\bnot against\b",
    r"\b(?:happy|content|fine|ok|okay) with\b",
    r"\b(?:all|others?|the others|the rest|rest|remaining|remainder)(?: (?:are|is|look|looks|seem|seems))?"
    r" (?:fine|good|ok|okay)\b",
)
_VOTE_WORDS = rx(
    r"(?P<abstain>\babstain\w*|\babstention\w*)",
    r"(?P<reject>\breject\w*|\bagainst\b|\boppose[ds]?\b|\bdisagree\w*|\bobject(?:s|ed)?\b|\bnay\b"
    r"|\bno\b(?!\. ?\d)(?![-_ ]?reply)|\bnope\b"
    r"|\bvote no\b|\bdecline\b)",
    r"(?P<approve>\bapprov\w*|\bagree[ds]?\b|\baccept\w*|\bsupport\w*|\bin favou?r\b|\bendorse\w*"
    r"|\byes\b|\baye\b"
    r"|\byep\b|\bvote for\b|\bfor:|\bfor(?= (?:decisions? |items? |numbers? |no\. |#)?\d))",
)
_ALL_WORDS = re.compile(
    r"\b(?:all|every|each|both|everything|them|the lot|entirely|across the board|whole)\b"
)
_EXCEPT = re.compile(r"\b(?:except(?: for)?|but(?: not)?|apart from|other than|excluding|save for|besides)\b")
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_DECISION_REF = re.compile(
    r"(?:\b(?:decisions?|items?|resolutions?|motions?|proposals?|recommendations?|questions?|points?|numbers?"
    r"|no\.|nr\.?)\s*|#\s*)(?P<kw>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|\bthe (?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b"
    r"|(?<![\d:/.])\b(?P<bare>\d{1,2})(?:st|nd|rd|th)?\b(?![:/.]\d)"
    r"(?! (?:decisions|items|proposals|resolutions"
    r"|motions|recommendations|papers|points|of them|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
)
_VOTE_CLAUSE = re.compile(r"(?:[^,;\n.!?]|(?<=\d)\.|(?<=no)\.|\.(?=\S))+")
_NUMBER_LIST_COMMA = re.compile(r"(\d)\s*,\s*(?=(?:\d|(?:decision|item|number|#|no\.)\s*\d))")
_RELATIVE_COMMA = re.compile(r",\s*(?=(?:which|where|for which|on which|that one)\b)", re.IGNORECASE)
_POSITIONAL = {
    "approve": "approve", "approved": "approve", "yes": "approve", "aye": "approve", "for": "approve",
    "agree": "approve", "reject": "reject", "rejected": "reject", "no": "reject", "against": "reject",
    "abstain": "abstain", "abstention": "abstain",
}  # fmt: skip
_WORD = re.compile(r"[a-z']+|\d+")


# --------------------------------------------------------------------------- reading


@dataclass
class _VoteTally:
    overall: dict[str, list[str]] = field(default_factory=dict)
    explicit: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    exceptions: set[int] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)

    def add_overall(self, choice: str, phrase: str) -> None:
        self.overall.setdefault(choice, []).append(phrase)

    def add_explicit(self, number: int, choice: str, phrase: str) -> None:
        self.explicit.setdefault(number, {}).setdefault(choice, []).append(phrase)


def _vote_tokens(clause: str) -> Iterator[tuple[int, str, int | str]]:
    """(position, "num"|"vote", value) tokens of one clause, in order."""
    tokens: list[tuple[int, str, int | str]] = []
    for match in _VOTE_WORDS.finditer(clause):
        choice = next(k for k in ("abstain", "reject", "approve") if match.group(k))
        tokens.append((match.start(), "vote", choice))
    for match in _DECISION_REF.finditer(clause):
        raw = match.group("kw") or match.group("ord") or match.group("bare")
        number = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        tokens.append((match.start(), "num", number))
    return iter(sorted(tokens))


def _pair_tokens(tokens: list[tuple[int, str, int | str]]) -> list[tuple[int, str | None]]:
    """Pair decision numbers with the vote word that belongs to them (None when missing)."""
    number_first = tokens[0][1] == "num"
    pairs: list[tuple[int, str | None]] = []
    if number_first:
        pending: list[int] = []
        for _pos, kind, value in tokens:
            if kind == "num":
                pending.append(int(value))
            else:
                pairs += [(n, str(value)) for n in pending]
                pending = []
        pairs += [(n, None) for n in pending]
    else:
        current: str | None = None
        for _pos, kind, value in tokens:
            if kind == "vote":
                current = str(value)
            else:
                pairs.append((int(value), current))
    return pairs


def _read_vote_clause(clause: str, original: str, tally: _VoteTally, exception_context: bool) -> None:
    """Record one clause: an overall answer, per-decision answers, or singled-out exceptions."""
    tokens = list(_vote_tokens(clause))
    votes = [str(v) for _p, k, v in tokens if k == "vote"]
    has_numbers = any(k == "num" for _p, k, _v in tokens)
    phrase = " ".join(original.split())
    if not votes and not (has_numbers and exception_context):
        return
    tally.evidence.append(phrase)
    if not has_numbers or (_ALL_WORDS.search(clause) and not exception_context):
        for vote in dict.fromkeys(votes):
            tally.add_overall(vote, phrase)
        return
    for number, choice in _pair_tokens(tokens):
        if choice is not None:
            tally.add_explicit(number, choice, phrase)
        elif exception_context:
            tally.exceptions.add(number)


def _vote_tally(text: str) -> _VoteTally:
    tally = _VoteTally()
    original = _RELATIVE_COMMA.sub(" ", _NUMBER_LIST_COMMA.sub(r"\1 and ", prepare(text)))
    low = lower(original)
    for pattern, word in ((_VOTE_APPROVE_IDIOMS, "approve"), (_VOTE_NEGATED, "reject")):
        for match in pattern.finditer(low):
            # rewrite to the canonical word, padded so every offset still maps to the original
            low = low[: match.start()] + word.ljust(match.end() - match.start()) + low[match.end() :]
    for clause_match in _VOTE_CLAUSE.finditer(low):
        clause = clause_match.group()
        orig = original[clause_match.start() : clause_match.end()]
        split = _EXCEPT.search(clause)
        if split:
            _read_vote_clause(clause[: split.start()], orig[: split.start()], tally, False)
            _read_vote_clause(clause[split.end() :], orig[split.end() :], tally, True)
        else:
            _read_vote_clause(clause, orig, tally, False)
    return tally


def _unclear_vote(
    code: VoteUnclearCode,
    reason: str,
    tally: _VoteTally,
    n_decisions: int,
    overall: str | None = None,
    *,
    decisions: tuple[int, ...] = (),
    conflict: tuple[str, ...] = (),
) -> VoteReading:
    return VoteReading(
        code,
        n_decisions,
        {},
        reason,
        " | ".join(tally.evidence),
        overall,
        decisions=decisions,
        conflict=conflict,
    )


def _positional_vote(text: str, n_decisions: int) -> VoteReading | None:
    """ "approve, approve, reject": exactly one vote word per decision and nothing else."""
    prepared = prepare(text)
    words = _WORD.findall(lower(prepared))
    if n_decisions < 2 or len(words) != n_decisions or not all(w in _POSITIONAL for w in words):
        return None
    choices = {i: _POSITIONAL[w] for i, w in enumerate(words, start=1)}
    phrase = " ".join(prepared.split())
    return VoteReading(
        "in_order",
        n_decisions,
        choices,
        f"one answer per decision, in order: {_vote_summary(choices, None)}",
        phrase,
    )


def read_vote(text: str, n_decisions: int) -> VoteReading:
    """Read a vote on decisions 1..n_decisions: overall and/or per-decision choices."""
    positional = _positional_vote(text, n_decisions)
    if positional is not None:
        return positional
    tally = _vote_tally(text)
    if not tally.overall and not tally.explicit:
        if tally.exceptions:
            return _unclear_vote(
                "singled_out_without_vote", "decisions are singled out but no vote is given", tally,
                n_decisions, decisions=tuple(sorted(tally.exceptions)),
            )
        return _unclear_vote("no_vote", "no vote recognised (approve, reject or abstain)", tally, n_decisions)
    if len(tally.overall) > 1:
        both = tuple(sorted(tally.overall))
        found = " and ".join(both)
        return _unclear_vote(
            "overall_both", f"contradiction: overall answer reads as both {found}", tally, n_decisions,
            conflict=both,
        )
    overall = next(iter(tally.overall), None)
    out_of_range = sorted(n for n in [*tally.explicit, *tally.exceptions] if not 1 <= n <= n_decisions)
    if out_of_range:
        listed = ", ".join(map(str, out_of_range))
        return _unclear_vote(
            "no_such_decision", f"decision {listed} does not exist (there are {n_decisions})", tally,
            n_decisions, overall, decisions=tuple(out_of_range),
        )
    conflicting = sorted(n for n, found in tally.explicit.items() if len(found) > 1)
    if conflicting:
        listed = ", ".join(map(str, conflicting))
        return _unclear_vote(
            "decision_both", f"contradiction: more than one answer for decision {listed}", tally,
            n_decisions, overall, decisions=tuple(conflicting),
        )
    choices: dict[int, str] = {}
    if overall:
        choices = {n: overall for n in range(1, n_decisions + 1) if n not in tally.exceptions}
    choices.update({n: next(iter(found)) for n, found in tally.explicit.items()})
    missing = [n for n in range(1, n_decisions + 1) if n not in choices]
    if missing:
        listed = ", ".join(map(str, missing))
        return _unclear_vote(
            "decision_missing", f"no answer for decision {listed}", tally, n_decisions, overall,
            decisions=tuple(missing),
        )
    return VoteReading(
        "votes_read",
        n_decisions,
        dict(sorted(choices.items())),
        _vote_summary(choices, overall),
        " | ".join(tally.evidence),
        overall,
    )


def _vote_summary(choices: dict[int, str], overall: str | None) -> str:
    if overall and all(c == overall for c in choices.values()):
        return f"{overall} all {len(choices)} decision(s)"
    return "; ".join(f"decision {n}: {c}" for n, c in sorted(choices.items()))
