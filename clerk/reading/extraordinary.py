"""Reading a request for an extraordinary meeting, and a supporter's answer to one (pure).

A request is a message to clerk's own address that asks for an extraordinary (or special)
meeting: "I request an extraordinary meeting about the school transport contract; Dr Ivan
Jackson supports this." :func:`read_request` finds that it is one, the reason (after "about",
"to discuss", "regarding", "because"...) and the member named as supporter (by name or address),
with a code for what is missing (:data:`RequestReadingCode`).

A supporter's answer ("Yes", "I support this", "No, I do not support it") is read by
:func:`read_support`: yes, no, or unclear (a yes and a no, or neither).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clerk.reading.scan import lower, prepare, rx

RequestReadingCode = Literal[
    "request",  # a request, with a reason
    "no_reason",  # a request, but it does not say what the meeting is about
    "not_a_request",  # the message asks for no extraordinary meeting
]
SupportIntent = Literal["yes", "no", "unclear"]
SupportCode = Literal["supports", "does_not_support", "yes_and_no", "nothing_recognised", "empty"]


@dataclass(frozen=True)
class RequestReading:
    """What a request says: its ``code``, the ``reason`` given, the supporter named (by
    ``supporter_name`` and/or ``supporter_email``) and, for the log, the ``evidence``."""

    code: RequestReadingCode
    reason: str = ""
    supporter_name: str = ""
    supporter_email: str = ""
    evidence: str = ""

    @property
    def is_request(self) -> bool:
        return self.code != "not_a_request"

    @property
    def names_supporter(self) -> bool:
        return bool(self.supporter_name or self.supporter_email)


@dataclass(frozen=True)
class SupportReading:
    intent: SupportIntent
    code: SupportCode
    evidence: str = ""


_ASK = rx(
    r"\b(?:request|requesting|call|calling|ask for|asking for|convene|convening|propose|"
    r"proposing|(?:would like|wish|want) to (?:call|request|convene|hold|have))\b[^.\n]{0,20}?"
    r"\b(?:extraordinary|special|emergency) (?:meeting|session)\b",
    r"\b(?:extraordinary|special|emergency) (?:meeting|session)\b[^.\n]{0,30}\b(?:is|be) "
    r"(?:called|convened|requested|held)\b",
)
_REASON = re.compile(
    r"(?:extraordinary|special|emergency)\s+(?:meeting|session)\b[^.;\n]*?\b"
    r"(?:about|to discuss|to consider|to decide|regarding|concerning|on the subject of|"
    r"in relation to|because|as|on|for|re)\b:?\s*([^.;\n]+)", re.IGNORECASE)
_REASON_LINE = re.compile(r"\b(?:reason|purpose|business)\s*:\s*([^.;\n]+)", re.IGNORECASE)
_SUPPORT_CLAUSE = re.compile(r"\s*,?\s*(?:with the (?:written )?support of|supported by|seconded by|"
                             r"backed by)\b.*$", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9][\w.+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Cllr|Councillor|Sir|Dame)\.?\s+)?"
_NAME = rf"{_TITLE}[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){{0,3}}"
_SUPPORTER = (
    re.compile(rf"\b({_NAME}|{_EMAIL.pattern})\s*(?:\([^)]*\)\s*)?(?i:supports|seconds|backs|"
               r"has agreed to support|is supporting|agrees|has seconded)\b"),
    re.compile(rf"\b(?i:supported|seconded|backed) (?i:by)\s+({_NAME}|{_EMAIL.pattern})"),
    re.compile(rf"\b(?i:supporter|seconder)\s*(?:is|:)\s*({_NAME}|{_EMAIL.pattern})"),
    re.compile(rf"\b(?i:with the (?:written )?support of)\s+({_NAME}|{_EMAIL.pattern})"),
)
_NOT_NAMES = frozenset({"I", "We", "This", "It", "He", "She", "They", "The", "Who"})


def _supporter(text: str) -> tuple[str, str]:
    for pattern in _SUPPORTER:
        m = pattern.search(text)
        if m is None:
            continue
        found = m.group(1).strip()
        if _EMAIL.fullmatch(found):
            return "", found.lower()
        if found.split()[0] in _NOT_NAMES:
            continue
        nearby = _EMAIL.search(text[m.start():m.end() + 60])
        return found, nearby.group(0).lower() if nearby else ""
    return "", ""


def read_request(text: str) -> RequestReading:
    """Whether ``text`` asks for an extraordinary meeting, why, and who supports it."""
    prepared = prepare(text)
    low = lower(prepared)
    ask = _ASK.search(low)
    if ask is None:
        return RequestReading("not_a_request")
    evidence = " ".join(prepared[ask.start():ask.end()].split())
    name, email = _supporter(prepared)
    about = ""
    line = _REASON_LINE.search(prepared)
    found = _REASON.search(prepared[ask.start():])
    if line is not None:
        about = line.group(1)
    elif found is not None:
        about = found.group(1)
    about = " ".join(about.split())
    for who in (name, email):
        if who and who in about:
            about = about[:about.index(who)]
    about = _SUPPORT_CLAUSE.sub("", about).strip(" ,:-")
    code: RequestReadingCode = "request" if about else "no_reason"
    return RequestReading(code, about[:500], name, email, evidence)


_SUPPORT_NO = rx(
    r"\b(?:do not|don't|cannot|can't|won't|will not|do not wish to|unable to|not able to) "
    r"(?:\w+ )?(?:support|second|back|agree)\b",
    r"\bnot (?:in )?support\w*\b", r"\bno\b", r"\boppose\w*\b", r"\bdecline\w*\b",
    r"\bwithdraw\w*\b", r"\bdisagree\w*\b",
)
_SUPPORT_YES = rx(
    r"\bi (?:do |fully |strongly )?support\b", r"\bsupport(?:ed)? (?:it|this|the request)\b",
    r"\byes\b", r"\bi second\b", r"\bseconded\b", r"\bagreed?\b", r"\bconfirm\w*\b",
    r"\bhappy to support\b", r"\bin support\b", r"\bi back\b", r"\bcount me in\b",
)


def read_support(text: str) -> SupportReading:
    """A supporter's answer: ``yes`` ("Yes", "I support this", "Confirmed"), ``no`` ("No",
    "I do not support it"), or ``unclear`` (both, or neither)."""
    prepared = prepare(text)
    if not prepared.strip():
        return SupportReading("unclear", "empty")
    low = lower(prepared)
    no = list(_SUPPORT_NO.finditer(low))
    masked = low
    for m in no:
        masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    yes = list(_SUPPORT_YES.finditer(masked))
    if yes and no:
        return SupportReading("unclear", "yes_and_no", " ".join(prepared.split())[:200])
    if yes:
        return SupportReading("yes", "supports", prepared[yes[0].start():yes[0].end()])
    if no:
        return SupportReading("no", "does_not_support", prepared[no[0].start():no[0].end()])
    return SupportReading("unclear", "nothing_recognised", " ".join(prepared.split())[:200])
