"""Reading an election reply: a ballot (a name for one seat, "1 Alice, 2 Bob" ranked for
several), a nomination (a member named or their address) and a candidate's answer (standing or
not).

Pure and channel-independent; an unclear reading carries a code (:data:`ElectionUnclearCode`)
that chooses what the writer is told.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from clerk.reading.scan import prepare

ElectionUnclearCode = Literal[
    "no_candidate",  # names none of the candidates
    "several",  # names more than one candidate where one is asked for
    "unknown_name",  # a ranked line names someone who is not a candidate
    "repeated",  # a candidate or a rank given twice
    "no_answer",  # neither yes nor no (a candidate's answer)
]
ElectionCode = Literal["read", ElectionUnclearCode]

_RANK = re.compile(r"(\d{1,2})\s*[.):=-]?\s*([^,;\n\d]+)")
_YES = re.compile(r"\b(yes|i (?:will )?stand|i accept|happy to stand|i agree)\b", re.I)
_NO = re.compile(r"\b(no|i (?:will not|won't|do not|don't) stand|i decline|withdraw)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class BallotReading:
    """The candidates chosen, most preferred first (one for a single seat); ``code`` says why
    not when :attr:`unclear`."""

    choice: tuple[str, ...]
    code: ElectionCode

    @property
    def unclear(self) -> bool:
        return self.code != "read"


def _names_in(text: str, candidates: Sequence[str]) -> list[str]:
    """The candidates named in ``text`` (full name, or a first or last name only one has)."""
    low = text.lower()
    found = [c for c in candidates if re.search(rf"\b{re.escape(c.lower())}\b", low)]
    if found:
        return found
    parts: dict[str, list[str]] = {}
    for c in candidates:
        for word in {c.split()[0].lower(), c.split()[-1].lower()}:
            parts.setdefault(word, []).append(c)
    out: list[str] = []
    for word, owners in parts.items():
        if len(owners) == 1 and re.search(rf"\b{re.escape(word)}\b", low) and owners[0] not in out:
            out.append(owners[0])
    return out


def read_ballot(text: str, candidates: Sequence[str], *, ranked: bool) -> BallotReading:
    """A single choice (``ranked`` False) or a ranking ("1 Alice, 2 Bob", one per line or not)."""
    answer = prepare(text)
    if ranked:
        pairs = _RANK.findall(answer)
        if pairs:
            ranks: dict[int, str] = {}
            for number, words in pairs:
                named = _names_in(words, candidates)
                if len(named) != 1:
                    return BallotReading((), "unknown_name" if not named else "several")
                if int(number) in ranks or named[0] in ranks.values():
                    return BallotReading((), "repeated")
                ranks[int(number)] = named[0]
            return BallotReading(tuple(ranks[n] for n in sorted(ranks)), "read")
    first = answer.split("\n")[0] if answer else ""
    named = _names_in(first, candidates) or _names_in(answer, candidates)
    if not named:
        return BallotReading((), "no_candidate")
    if len(named) > 1:
        return BallotReading((), "several")
    return BallotReading((named[0],), "read")


def read_nominee(text: str, members: Sequence[tuple[str, str]]) -> str | None:
    """The address of the member a nomination names (``members``: (email, name) pairs), by
    their address or their name; None when it names none or several."""
    answer = prepare(text)
    emails = {e for e, _ in members}
    said = [e.lower() for e in _EMAIL.findall(answer) if e.lower() in emails]
    if len(set(said)) == 1:
        return str(said[0])
    by_name = {name: email for email, name in members}
    named = _names_in(answer, list(by_name))
    return str(by_name[named[0]]) if len(named) == 1 else None


def read_stands(text: str) -> bool | None:
    """A candidate's answer: True (stands), False (does not), None (unclear)."""
    answer = prepare(text)
    yes, no = bool(_YES.search(answer)), bool(_NO.search(answer))
    return None if yes == no else yes
