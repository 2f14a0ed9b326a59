"""Reading the Chair's answer to a draft agenda: approved, or a request for changes.

Pure and channel-independent. Only a reply that plainly agrees and asks for nothing else approves;
anything else is passed to the facilitator as written. The reason is a code
(:data:`AgendaCode`); the sentence is for the log and the facilitator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clerk.reading.scan import phrase, prepare, rx

AgendaIntent = Literal["approve", "changes", "empty"]

AgendaCode = Literal[
    "agrees",  # agrees and asks for nothing else
    "disagrees",  # says no, or that they do not agree
    "asks_for_changes",  # asks for something (a change, a question, "but ...")
    "no_approve",  # says neither: passed on as comments
    "empty",  # nothing to read
]


@dataclass(frozen=True)
class AgendaReading:
    """The Chair's answer to a draft agenda: ``approve`` only when it plainly agrees and asks for
    nothing else; anything else is ``changes`` (passed to the facilitator as written)."""

    intent: AgendaIntent
    code: AgendaCode
    reason: str
    evidence: str = ""


_AGREE = rx(
    r"\bapprove[sd]?\b", r"\bagreed?\b", r"\bok(?:ay)?\b", r"\bfine\b", r"\byes\b",
    r"\blooks? good\b", r"\bhappy with (?:it|this|that|the agenda)\b", r"\bgo ahead\b",
    r"\bsigned off\b", r"\bsign(?:ing)? (?:it )?off\b", r"\bgood to go\b",
)
_DISAGREE = rx(
    r"\b(?:not|don't|do not|cannot|can't|won't) (?:yet )?(?:approve|agree|happy|ok|fine)\b",
    r"\bnot (?:yet )?approved\b", r"\bdisagree\b", r"\breject\w*\b", r"\bno\b",
)
_CHANGE_WORDS = rx(
    r"\bbut\b", r"\bexcept\b", r"\bhowever\b", r"\bchang\w*\b", r"\bamend\w*\b", r"\badd\w*\b",
    r"\bremov\w*\b", r"\bdelet\w*\b", r"\bmove\b", r"\binstead\b", r"\breplac\w*\b", r"\bswap\w*\b",
    r"\bdrop\b", r"\binclud\w*\b", r"\bcan we\b", r"\bcould we\b", r"\bcould you\b",
    r"\bcorrect\w*\b", r"\btypo\b", r"\bmissing\b", r"\bwrong\b", r"\brenam\w*\b", r"\bdefer\w*\b",
    r"\bpostpone\w*\b", r"\bswitch\b", r"\breorder\w*\b", r"\?",
)


def read_agenda_reply(text: str) -> AgendaReading:
    """APPROVE (or "Approved, thanks", "Yes, that's fine") approves; a reply that asks for
    anything, or says no, is a request for changes."""
    prepared = prepare(text)
    if not prepared.strip():
        return AgendaReading("empty", "empty", "the reply is empty")
    low = prepared.lower()
    evidence = " ".join(prepared.split())[:200]
    against = _DISAGREE.search(low)
    if against:
        return AgendaReading("changes", "disagrees",
                             f'does not agree ("{phrase(prepared, *against.span())}")', evidence)
    change = _CHANGE_WORDS.search(low)
    agree = _AGREE.search(low)
    if agree and not change:
        return AgendaReading("approve", "agrees",
                             f'agrees the agenda ("{phrase(prepared, *agree.span())}")', evidence)
    if change:
        return AgendaReading("changes", "asks_for_changes",
                             f'asks for changes ("{phrase(prepared, *change.span())}")', evidence)
    return AgendaReading("changes", "no_approve", "does not say APPROVE; passed on as comments",
                         evidence)
