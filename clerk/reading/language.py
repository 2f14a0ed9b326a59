"""Understand what a person meant in a free-text answer: an RSVP or a vote.

Pure and channel-independent (email replies, chat messages...).  Only the first
~40 non-empty lines are read.  The approach is deliberately plain: recognise
negative phrases first and blank them out, so "I won't be there" can never
also read as "be there"; then look for positive phrases; a yes *and* a no is a
contradiction, reported as unclear rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from clerk.reading.answer_text import answer_part

__all__ = [
    "MAX_CHARS",
    "MAX_LINES",
    "AgendaReading",
    "DeclarationReading",
    "DeclaredInterest",
    "RsvpIntent",
    "RsvpReading",
    "VoteChoice",
    "VoteReading",
    "read_agenda_reply",
    "read_declaration",
    "read_rsvp",
    "read_vote",
]

MAX_LINES = 40
MAX_CHARS = 4000  # and never more than this many characters (one huge pasted line)

RsvpIntent = Literal["attend", "apologies", "substitute", "unclear"]
VoteChoice = Literal["approve", "reject", "abstain"]


@dataclass(frozen=True)
class RsvpReading:
    """What an RSVP answer means, with the phrase that decided it and a human reason."""

    intent: RsvpIntent
    substitute_name: str | None = None
    substitute_email: str | None = None
    evidence: str = ""
    reason: str = ""


@dataclass(frozen=True)
class VoteReading:
    """A vote on ``n`` decisions: ``choices`` covers 1..n unless ``unclear``."""

    choices: dict[int, str] = field(default_factory=dict)
    unclear: bool = False
    reason: str = ""
    evidence: str = ""
    overall: str | None = None


# --------------------------------------------------------------------------- text helpers

_TYPOGRAPHY = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u2026": "...",
        "\u02bc": "'",
    }
)


def _prepare(text: str) -> str:
    """First MAX_LINES non-empty lines (at most MAX_CHARS) of the answer, typography flattened.

    The answer is :func:`clerk.reading.answer_text.answer_part`: clerk's own words quoted back, legal
    boilerplate and whatever follows the sign-off are never read."""
    lines: list[str] = []
    for line in answer_part(text).splitlines():
        stripped = line.strip()
        if stripped:
            lines.append(stripped)
            if len(lines) == MAX_LINES:
                break
    return "\n".join(lines)[:MAX_CHARS].translate(_TYPOGRAPHY)


def _lower(text: str) -> str:
    """Lower-case without changing any offsets (so spans map back to the original)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _rx(*alternatives: str, flags: int = 0) -> re.Pattern[str]:
    """Compile alternatives; " " in a pattern means some whitespace, " ?" optional whitespace."""
    joined = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(joined.replace(" ?", r"\s*").replace(" ", r"\s+"), flags)


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _phrase(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    phrase: str


def _hits(pattern: re.Pattern[str], low: str, original: str) -> list[_Hit]:
    return [_Hit(m.start(), m.end(), _phrase(original, m.start(), m.end())) for m in pattern.finditer(low)]


# --------------------------------------------------------------------------- RSVP vocabulary

_NEG = (
    r"(?:can't|cant|cannot|can not|won't|wont|will not|wouldn't|would not|couldn't|could not|shan't"
    r"|shall not|am not|i'm not|im not|not|unable to|no longer able to|don't think i(?:'ll| will| can)?"
    r"|do not think i(?:'ll| will| can)?|n't)"
)
_VERB = (
    r"(?:attend\w*|make it|make the \w+|come|coming|be there|be present|be in attendance|join\w*|go|going"
    r"|be available|available|participate|present|be with you|take part)"
)

_POSITIVE_IDIOMS = _rx(
    r"\b(?:wouldn't|would not|won't|will not) miss (?:it|this)\b", r"\bcan't wait\b", r"\bcannot wait\b"
)
_HEDGES = _rx(
    r"\bnot sure\b",
    r"\bunsure\b",
    r"\bmaybe\b",
    r"\bperhaps\b",
    r"\bpossibly\b",
    r"\bprobably\b",
    r"\btentative\w*\b",
    r"\bmight\b",
    r"\b(?:i'll|i will|will) try\b",
    r"\btry (?:to|and) (?:attend|come|make|be|join)",
    r"\bif i can\b",
    r"\bdepend\w*\b",
    r"\btbc\b",
    r"\bto be confirmed\b",
    r"\bnot certain\b",
    r"\b(?:don't|do not) know (?:if|whether|yet)\b",
    r"\bnot yet (?:sure|know|decided|confirmed)\b",
    r"\b(?:un)?likely\b",
    r"\bprovisional\w*\b",
)
_NEGATIVES = _rx(
    rf"\b{_NEG}(?: [\w']+){{0,3}}? {_VERB}\b",
    r"\b(?:send|sending|give|offer|tender|accept|pass on|note|record|take)(?: [\w']+){0,3}?"
    r" (?:apologies|regrets)\b",
    r"\bapologies\b(?! for (?:the |my |this |any |a )?(?:late|delay|slow|short|brief|confusion|typo|previous"
    r"|earlier|not replying|missing|delayed|tardy|lateness))",
    r"\bregrets?\b",
    r"\bdeclin(?:e|ing)\b",
    r"\bcount me out\b",
    r"\bunable\b",
    r"\bunavailable\b",
    r"\bnot available\b",
    r"\b(?:i'm|im|i am|i'll be|i will be|i shall be|i'm going to be|i will|i'll) (?:[\w']+ ){0,2}?"
    r"(?:away|on leave|on annual leave|on holiday|on vacation|on sick leave|abroad|overseas"
    r"|out of (?:the )?(?:office|country)"
    r"|off sick|travelling|traveling|elsewhere|in another meeting|at another meeting)\b",
    r"\bclash(?:es)?\b",
    r"\bdouble[- ]booked\b",
    r"\bprior (?:commitment|engagement)\b",
    r"\b(?:another|other) (?:commitment|engagement)\b",
    r"\b(?:have|got) (?:another|a conflicting|a clashing) (?:meeting|commitment|engagement|appointment)\b",
    r"\b(?:will|have to|must|'ll|going to) (?:have to )?miss\b",
    r"\bgive (?:it|this) a miss\b",
    r"\bnot this time\b",
    r"\b(?:afraid|sadly|unfortunately|regrettably|definitely|certainly|absolutely) not\b",
    r"\b(?:i'd|i would) (?:love|like|have liked|have loved) to\b[^.\n]{0,60}?\bbut\b",
    r"\b(?:i )?(?:can't|cannot|can not|won't)(?= ?[.!,;]|\s*$)",
)
_ATTENDS = _rx(
    r"\bcount me in\b",
    r"\bsign me up\b",
    r"\b(?:put|pencil|add|mark|book) me (?:down|in)\b",
    r"\bsee you (?:there|then|on|at|next|soon|in|all)\b",
    r"\b(?:happy|delighted|pleased|glad|keen) to (?:attend|come|join|be there|be present)\b",
    r"\b(?:i|we)(?:'ll| will| shall| am|'m| are|'re| can| could| do)?"
    r" (?:definitely |certainly |absolutely |still "
    r"|also |gladly |happily |indeed )?(?:be )?(?:attend\w*|there|coming|come(?! back)|join\w*|present"
    r"|in attendance|make it|available)\b(?! back)",
    r"\bwill (?:be )?attend\w*\b",
    r"\b(?:^|\n)attending\b",
    r"\bbe attending\b",
    r"\bconfirm\w*(?: [\w']+){0,3}? (?:attendance|attending|i will|i'll|i can|i am|i'm|my place)\b",
    r"\blooking forward to (?:it|the meeting|seeing|attending|being there|meeting)\b",
    r"\bi accept\b",
    r"(?:^|\n)(?:accept|accepted|will be there|i'm in|i am in)\b(?= ?[.!,]|\s*$)",
    r"\bwill be there\b",
    r"\baccept\w* (?:the |your )?invitation\b",
    r"\b(?:i'd|i would) (?:love|like|be happy|be glad|be delighted) to (?:attend|come|join|be there)\b",
)
_NO_FOLLOWERS = frozenset({
    "", "sorry", "thanks", "thank", "i", "i'm", "im", "unfortunately", "afraid", "can't", "cannot",
    "not", "we", "sadly", "i'll", "i've", "i'd", "apologies", "regrettably",
})  # fmt: skip
_YES_FOLLOWERS = frozenset({
    "", "i", "please", "thanks", "thank", "count", "see", "will", "happy", "we", "that", "sure",
    "definitely", "absolutely", "certainly", "i'll", "i'd", "i'm", "im", "indeed", "ok", "okay", "fine",
    "thing", "great", "look", "looking", "of", "attending",
})  # fmt: skip
_CLAUSE = re.compile(r"[^.!?;,:\n()]+")
_YES_WORD = re.compile(
    r"(?:actually |oh |so |and |but |erm |um |well |ok |okay )?"
    r"(yes|yep|yeah|yup|yes+|aye|certainly|absolutely"
    r"|definitely|of course|sure)\b"
)
_NO_WORD = re.compile(
    r"(?:actually |oh |so |and |but |erm |um |well |sorry |sadly |unfortunately |afraid )?"
    r"(no|nope|nah|negative)\b(?![-_ ]?reply)"
)

# substitutes
_EMAIL = re.compile(r"[A-Za-z0-9][\w.+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME = (
    rf"(?:(?:Dr|Mr|Mrs|Ms|Miss|Cllr|Prof)\.? )?[{_UPPER}](?:[\w'-]+|\.)(?: [{_UPPER}](?:[\w'-]+|\.)?){{0,3}}"
)
_SUB_STRONG = _rx(
    r"\bin my (?:place|stead)\b",
    r"\bon my behalf\b",
    r"\binstead of me\b",
    r"\b(?:my|our) (?:nominated )?(?:substitute|deputy|replacement|alternate|proxy|representative|stand-in"
    r"|stand in|delegate|nominee)\b",
    r"\b(?:stand|standing|sit|sitting|fill|filling|deputi[sz]e|deputi[sz]ing|cover|covering|go|going|attend"
    r"|attending) (?:in )?for me\b",
    r"\brepresent(?:ing)? me\b",
    r"\bsubstitut\w*\b",
    r"\b(?:send|sending|nominate|nominating|delegate|delegating) [^\n]{1,100}? (?:instead|in my place"
    r"|on my behalf|to attend|to represent|to go|as my)\b",
)
_SUB_WEAK = _rx(
    r"\b(?:will|shall|'ll|is going to|are going to) (?:be )?(?:attend\w*|come|coming|go|going|join\w*"
    r"|be there) instead\b",
    r"\b(?:is|are|will be) (?:attending|coming|going) instead\b",
)
_NAME_BEFORE = re.compile(rf"({_NAME})\s*[<(\[,:-]?\s*$")
_NAME_AFTER = re.compile(rf"^\s*[>)\]]?\s*[(,]\s*({_NAME})")
_NAME_PATTERNS = (
    re.compile(rf"\b(?i:send|sending|nominate|nominating|delegate|delegating) ({_NAME})"),
    re.compile(
        rf"(?:^|[^\w])({_NAME}) (?:will|would|shall|can|is going to|is able to|is) "
        r"(?:[a-z]+ ){0,2}?(?:attend|come|go|be there|represent|deputi[sz]e|stand|sit|cover|fill|join)"
    ),
    re.compile(
        rf"\b(?i:my|our) (?i:substitute|deputy|replacement|alternate|colleague|proxy|representative"
        rf"|stand-in|delegate)(?: (?i:will be|is)|,|:)? ({_NAME})"
    ),
)
_NOT_NAMES = frozenset({
    "I", "I'll", "I'm", "I'd", "We", "He", "She", "They", "It", "This", "That", "Yes", "No", "Sorry",
    "Thanks", "Thank", "Hi", "Hello", "Dear", "Unfortunately", "Apologies", "My", "Our", "Please", "So",
    "And", "But", "Someone", "Somebody", "Nobody", "Everyone", "Also", "Colleague", "Deputy",
    "Substitute", "Sadly", "Regrettably", "Instead", "Afraid", "Ok", "Okay", "Hopefully", "Happy",
    "Many", "Best", "Kind", "Regards", "Cheers", "Clerk", "Could", "Can", "Would", "Will", "Shall",
    "May", "Might", "Should", "Perhaps", "Maybe", "Possibly", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "June", "July",
    "August", "September", "October", "November", "December", "Unless", "If", "When", "Then", "There",
    "Note", "Alternatively", "However", "Otherwise", "Everything", "Anyone",
})  # fmt: skip
_THIRD_PARTY = re.compile(
    rf"(?:({_EMAIL.pattern})|(?<![\w'])({_NAME}))[)>\]]?,?(?: \(?[A-Z][\w' -]{{0,40}}\)?,?)? "
    r"(?:will|can|could|shall|is going to|is able to|is happy to|has agreed to)\b(?!'t|n't| not)"
    r"(?: (?:[a-z]+ ){0,2}?(?:attend|come|go|be there|join|cover|represent|stand in|take my place|make it"
    r"|step in|deputi[sz]e|sit in|fill in)\b| ?[.!,;)]| ?$| instead\b)",
    re.MULTILINE,
)
_SENTENCE = re.compile(r"(?:[^\n.!?]|[.!?](?=[^\s.!?]))+[.!?]*")


# --------------------------------------------------------------------------- RSVP reading


def _yes_no_hits(low: str, original: str) -> tuple[list[_Hit], list[_Hit]]:
    """Bare "yes"/"no" answers: a clause that starts with one and goes on plausibly."""
    yes: list[_Hit] = []
    no: list[_Hit] = []
    for clause in _CLAUSE.finditer(low):
        body = clause.group()
        offset = clause.start() + len(body) - len(body.lstrip())
        body = body.strip()
        for word_rx, followers, bucket in ((_YES_WORD, _YES_FOLLOWERS, yes), (_NO_WORD, _NO_FOLLOWERS, no)):
            match = word_rx.match(body)
            if not match:
                continue
            rest = body[match.end() :].lstrip(" -'\"").split(" ", 1)[0]
            if rest in followers:
                start, end = offset + match.start(1), offset + match.end(1)
                bucket.append(_Hit(start, end, _phrase(original, start, end)))
    return yes, no


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def _sentence_index(sentences: list[tuple[int, int]], pos: int) -> int:
    for i, (start, end) in enumerate(sentences):
        if start <= pos < end:
            return i
    return len(sentences) - 1


def _clean_name(raw: str | None) -> str | None:
    if not raw:
        return None
    words = raw.split()
    while words and words[0] in _NOT_NAMES:
        words.pop(0)
    while words and words[-1] in _NOT_NAMES:
        words.pop()
    return " ".join(words) or None


def _name_near_email(text: str, start: int, end: int) -> str | None:
    before = _NAME_BEFORE.search(text[max(0, start - 80) : start].split("\n")[-1])
    if before:
        name = _clean_name(before.group(1))
        if name:
            return name
    after = _NAME_AFTER.match(text[end : end + 80].split("\n")[0])
    return _clean_name(after.group(1)) if after else None


def _name_in(text: str) -> str | None:
    for pattern in _NAME_PATTERNS:
        for match in pattern.finditer(text):
            name = _clean_name(match.group(1))
            if name:
                return name
    return None


@dataclass(frozen=True)
class _Substitute:
    name: str | None
    email: str | None
    span: tuple[int, int]
    evidence: str
    strong: bool


def _find_substitute(text: str, low: str) -> _Substitute | None:
    """A named or addressed stand-in, located around a substitute trigger phrase."""
    strong = _SUB_STRONG.search(low)
    trigger = strong or _SUB_WEAK.search(low)
    if trigger is None:
        return None
    sentences = _sentences(text)
    idx = _sentence_index(sentences, trigger.start())
    start, end = sentences[idx]
    order = [idx, *range(idx + 1, min(idx + 3, len(sentences))), *([idx - 1] if idx else [])]
    email_match = None
    for i in order:
        s_start, s_end = sentences[i]
        email_match = _EMAIL.search(text, s_start, s_end)
        if email_match:
            break
    email = email_match.group().lower() if email_match else None
    name = _name_near_email(text, email_match.start(), email_match.end()) if email_match else None
    name = name or _name_in(text[start:end])
    if strong is None and not (email or name):
        return None  # "I'll come to the next one instead": no third party
    return _Substitute(name, email, (start, end), _phrase(text, start, end), strong is not None)


def _find_third_party(text: str) -> _Substitute | None:
    """Someone else (a name or address) who "will"/"can" go: a substitute when the member declines."""
    for match in _THIRD_PARTY.finditer(text):
        email = match.group(1).lower() if match.group(1) else None
        name = _name_near_email(text, match.start(1), match.end(1)) if email else _clean_name(match.group(2))
        if email or (name and match.group(2) and name == match.group(2)):
            sentences = _sentences(text)
            start, end = sentences[_sentence_index(sentences, match.start())]
            return _Substitute(name, email, (start, end), _phrase(text, start, end), False)
    return None


def _substitute_reading(sub: _Substitute, text: str, low: str) -> RsvpReading:
    outside = _mask(low, [sub.span])
    self_attend = _ATTENDS.search(
        _mask(outside, [(h.start, h.end) for h in _hits(_NEGATIVES, outside, text)])
    )
    if self_attend:
        return RsvpReading(
            "unclear",
            sub.name,
            sub.email,
            f"{sub.evidence} / {_phrase(text, *self_attend.span())}",
            "contradiction: names a substitute but also says the member will attend",
        )
    if sub.email:
        who = f"{sub.name} <{sub.email}>" if sub.name else sub.email
        return RsvpReading("substitute", sub.name, sub.email, sub.evidence, f"substitute named: {who}")
    if sub.name:
        reason = (
            f"a substitute ({sub.name}) is named but without an email address: please ask for their address"
        )
    else:
        reason = "mentions a substitute but gives no name or email address: please ask who will attend"
    return RsvpReading("unclear", sub.name, None, sub.evidence, reason)


def read_rsvp(text: str) -> RsvpReading:
    """Read an RSVP answer: attend, apologies, substitute, or unclear (with why)."""
    original = _prepare(text)
    if not original:
        return RsvpReading("unclear", reason="empty reply: nothing to read")
    low = _lower(original)
    sub = _find_substitute(original, low)
    if sub is not None:
        return _substitute_reading(sub, original, low)
    hedge = _HEDGES.search(low)
    if hedge:
        phrase = _phrase(original, *hedge.span())
        return RsvpReading("unclear", evidence=phrase, reason=f'tentative or conditional answer ("{phrase}")')
    idioms = _hits(_POSITIVE_IDIOMS, low, original)
    low = _mask(low, [(h.start, h.end) for h in idioms])
    negatives = _hits(_NEGATIVES, low, original)
    low = _mask(low, [(h.start, h.end) for h in negatives])
    yes, no = _yes_no_hits(low, original)
    if negatives or no:
        third = _find_third_party(original)
        if third is not None:
            return _substitute_reading(third, original, _lower(original))
    attends = idioms + _hits(_ATTENDS, low, original)
    return _decide(attends + yes, negatives + no)


def _first_phrase(hits: list[_Hit]) -> str:
    """The most telling phrase: the longest, earliest on ties (a bare yes/no only if alone)."""
    return min(hits, key=lambda h: (-(h.end - h.start), h.start)).phrase


def _decide(attends: list[_Hit], refusals: list[_Hit]) -> RsvpReading:
    if attends and refusals:
        yes, no = _first_phrase(attends), _first_phrase(refusals)
        return RsvpReading(
            "unclear",
            evidence=f"{yes} / {no}",
            reason=f'contradiction: both yes ("{yes}") and no ("{no}") found',
        )
    if attends:
        phrase = _first_phrase(attends)
        return RsvpReading("attend", evidence=phrase, reason=f'will attend ("{phrase}")')
    if refusals:
        phrase = _first_phrase(refusals)
        return RsvpReading("apologies", evidence=phrase, reason=f'sends apologies ("{phrase}")')
    return RsvpReading("unclear", reason="nothing recognised as yes, no or a substitute")


# --------------------------------------------------------------------------- vote vocabulary

_VOTE_NEGATED = _rx(
    r"\b(?:do not|don't|dont|cannot|can't|can not|won't|will not|not|unable to|couldn't|could not)"
    r"(?: [\w']+)?? (?:approve|agree|support|accept|endorse|back|be in favou?r|in favou?r|vote for)\w*\b"
)
_VOTE_APPROVE_IDIOMS = _rx(
    r"\bno (?:objections?|concerns|issues|problems?)\b",
    r"\bnot against\b",
    r"\b(?:happy|content|fine|ok|okay) with\b",
    r"\b(?:all|others?|the others|the rest|rest|remaining|remainder)(?: (?:are|is|look|looks|seem|seems))?"
    r" (?:fine|good|ok|okay)\b",
)
_VOTE_WORDS = _rx(
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


# --------------------------------------------------------------------------- vote reading


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
    original = _RELATIVE_COMMA.sub(" ", _NUMBER_LIST_COMMA.sub(r"\1 and ", _prepare(text)))
    low = _lower(original)
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


def _unclear_vote(reason: str, tally: _VoteTally, overall: str | None = None) -> VoteReading:
    return VoteReading({}, True, reason, " | ".join(tally.evidence), overall)


def _positional_vote(text: str, n_decisions: int) -> VoteReading | None:
    """ "approve, approve, reject": exactly one vote word per decision and nothing else."""
    prepared = _prepare(text)
    words = _WORD.findall(_lower(prepared))
    if n_decisions < 2 or len(words) != n_decisions or not all(w in _POSITIONAL for w in words):
        return None
    choices = {i: _POSITIONAL[w] for i, w in enumerate(words, start=1)}
    phrase = " ".join(prepared.split())
    return VoteReading(
        choices, False, f"one answer per decision, in order: {_vote_summary(choices, None)}", phrase
    )


def read_vote(text: str, n_decisions: int) -> VoteReading:
    """Read a vote on decisions 1..n_decisions: overall and/or per-decision choices."""
    positional = _positional_vote(text, n_decisions)
    if positional is not None:
        return positional
    tally = _vote_tally(text)
    if not tally.overall and not tally.explicit:
        if tally.exceptions:
            return _unclear_vote("decisions are singled out but no vote is given", tally)
        return _unclear_vote("no vote recognised (approve, reject or abstain)", tally)
    if len(tally.overall) > 1:
        found = " and ".join(sorted(tally.overall))
        return _unclear_vote(f"contradiction: overall answer reads as both {found}", tally)
    overall = next(iter(tally.overall), None)
    out_of_range = sorted(n for n in [*tally.explicit, *tally.exceptions] if not 1 <= n <= n_decisions)
    if out_of_range:
        listed = ", ".join(map(str, out_of_range))
        return _unclear_vote(f"decision {listed} does not exist (there are {n_decisions})", tally, overall)
    conflicting = sorted(n for n, found in tally.explicit.items() if len(found) > 1)
    if conflicting:
        listed = ", ".join(map(str, conflicting))
        return _unclear_vote(f"contradiction: more than one answer for decision {listed}", tally, overall)
    choices: dict[int, str] = {}
    if overall:
        choices = {n: overall for n in range(1, n_decisions + 1) if n not in tally.exceptions}
    choices.update({n: next(iter(found)) for n, found in tally.explicit.items()})
    missing = [n for n in range(1, n_decisions + 1) if n not in choices]
    if missing:
        listed = ", ".join(map(str, missing))
        return _unclear_vote(f"no answer for decision {listed}", tally, overall)
    return VoteReading(
        dict(sorted(choices.items())),
        False,
        _vote_summary(choices, overall),
        " | ".join(tally.evidence),
        overall,
    )


def _vote_summary(choices: dict[int, str], overall: str | None) -> str:
    if overall and all(c == overall for c in choices.values()):
        return f"{overall} all {len(choices)} decision(s)"
    return "; ".join(f"decision {n}: {c}" for n, c in sorted(choices.items()))


# --------------------------------------------------------------------------- declarations of interest


@dataclass(frozen=True)
class DeclaredInterest:
    """One declaration: the agenda item numbers it covers and the interest in the writer's words."""

    items: tuple[int, ...]
    interest: str
    evidence: str


@dataclass(frozen=True)
class DeclarationReading:
    """Declarations found in a message. ``nothing_to_declare`` for an explicit nil return;
    ``unclear`` (with the reason) when an interest is declared but not which item, or an item
    that is not on the agenda."""

    declarations: tuple[DeclaredInterest, ...] = ()
    nothing_to_declare: bool = False
    unclear: bool = False
    reason: str = ""

    @property
    def found(self) -> bool:
        return bool(self.declarations)


_DECLARE = _rx(
    r"\bdeclar\w* (?:an? |my |the following )?(?:\w+ )?interests?\b",
    r"\binterests? to declare\b",
    r"\bconflict(?:s|ed)? of interests?\b",
    r"\bdeclaration of interests?\b",
    r"\b(?:have|has) an? (?:\w+ )?interest in (?:agenda )?items?\b",
    r"\bi am conflicted\b",
    r"\bi'm conflicted\b",
)
_NOTHING_TO_DECLARE = _rx(
    r"\bno (?:\w+ )?interests? to declare\b",
    r"\bnothing to declare\b",
    r"\bno declarations?\b",
    r"\bno conflicts? of interests?\b",
    r"\b(?:don't|do not) have any (?:\w+ )?interests?\b",
    r"\bhave no (?:\w+ )?interests?\b",
)
_ITEM_NUMBERS = re.compile(
    r"\bitems?\s*(?:no\.?|number|nos\.?)?\s*#?(\d+)((?:\s*(?:,|and|&|/|or)\s*#?\d+)*)", re.IGNORECASE)
_LEADING_LINK = re.compile(r"^[\s,;:.\-]*(?:(?:on|in|which|that|where|as|because|since|being|"
                           r"given)\b)?[\s,;:\-]*", re.IGNORECASE)
_TRAILING_LINK = re.compile(r"[\s,;:\-]*(?:and\s+)?(?:so\s+)?(?:\bi\s*)?$", re.IGNORECASE)


def _item_numbers(match: re.Match[str]) -> list[int]:
    return [int(match.group(1)), *(int(n) for n in re.findall(r"\d+", match.group(2) or ""))]


def _interest_words(sentence: str, trigger: re.Match[str], items: list[re.Match[str]]) -> str:
    """The interest: what follows the item numbers ("as a trustee of ..."), else what comes
    before the declaration ("As a trustee of ..., I declare"), else the whole sentence."""
    after = sentence[max(m.end() for m in items):].strip() if items else ""
    after = _LEADING_LINK.sub("", after, count=1).strip().rstrip(".!")
    if len(after) >= 3:
        return after
    before = sentence[:trigger.start()].strip()
    before = _TRAILING_LINK.sub("", before, count=1).strip().rstrip(",")
    before = _LEADING_LINK.sub("", before, count=1).strip()
    if len(before) >= 3 and not before.lower().startswith(("i ", "i'")):
        return before
    return " ".join(sentence.split()).rstrip(".!")


def read_declaration(text: str, n_items: int) -> DeclarationReading:
    """Read declarations of interest in a reply: "I declare an interest in item 3 as a trustee of
    Worcester Carers' Trust". Items are numbered 1..``n_items`` as on the agenda sent."""
    prepared = _prepare(text)
    found: list[DeclaredInterest] = []
    nil = bool(_NOTHING_TO_DECLARE.search(prepared.lower()))
    for start, end in ((m.start(), m.end()) for m in _SENTENCE.finditer(prepared)):
        sentence = prepared[start:end]
        low = sentence.lower()
        if _NOTHING_TO_DECLARE.search(low):
            continue
        trigger = _DECLARE.search(low)
        if trigger is None:
            continue
        items = list(_ITEM_NUMBERS.finditer(sentence))
        if not items:
            return DeclarationReading(unclear=True, reason="an interest is declared but not in "
                                      "which agenda item (say, for example, \"item 3\")")
        numbers = sorted({n for m in items for n in _item_numbers(m)})
        wrong = [n for n in numbers if not 1 <= n <= n_items]
        if wrong:
            listed = ", ".join(map(str, wrong))
            return DeclarationReading(unclear=True, reason=f"item {listed} is not on the agenda "
                                      f"(it has {n_items} items)")
        found.append(DeclaredInterest(tuple(numbers), _interest_words(sentence, trigger, items),
                                      " ".join(sentence.split())))
    if found:
        items_words = "; ".join(f"item {', '.join(map(str, d.items))}: {d.interest}"
                                for d in found)
        return DeclarationReading(tuple(found), reason=f"declares an interest ({items_words})")
    if nil:
        return DeclarationReading(nothing_to_declare=True, reason="nothing to declare")
    return DeclarationReading(reason="no declaration of interest")


# ---------------------------------------------------------------- the Chair's answer to a draft agenda

AgendaIntent = Literal["approve", "changes", "empty"]


@dataclass(frozen=True)
class AgendaReading:
    """The Chair's answer to a draft agenda: ``approve`` only when it plainly agrees and asks for
    nothing else; anything else is ``changes`` (passed to the facilitator as written)."""

    intent: AgendaIntent
    reason: str
    evidence: str = ""


_AGREE = _rx(
    r"\bapprove[sd]?\b", r"\bagreed?\b", r"\bok(?:ay)?\b", r"\bfine\b", r"\byes\b",
    r"\blooks? good\b", r"\bhappy with (?:it|this|that|the agenda)\b", r"\bgo ahead\b",
    r"\bsigned off\b", r"\bsign(?:ing)? (?:it )?off\b", r"\bgood to go\b",
)
_DISAGREE = _rx(
    r"\b(?:not|don't|do not|cannot|can't|won't) (?:yet )?(?:approve|agree|happy|ok|fine)\b",
    r"\bnot (?:yet )?approved\b", r"\bdisagree\b", r"\breject\w*\b", r"\bno\b",
)
_CHANGE_WORDS = _rx(
    r"\bbut\b", r"\bexcept\b", r"\bhowever\b", r"\bchang\w*\b", r"\bamend\w*\b", r"\badd\w*\b",
    r"\bremov\w*\b", r"\bdelet\w*\b", r"\bmove\b", r"\binstead\b", r"\breplac\w*\b", r"\bswap\w*\b",
    r"\bdrop\b", r"\binclud\w*\b", r"\bcan we\b", r"\bcould we\b", r"\bcould you\b",
    r"\bcorrect\w*\b", r"\btypo\b", r"\bmissing\b", r"\bwrong\b", r"\brenam\w*\b", r"\bdefer\w*\b",
    r"\bpostpone\w*\b", r"\bswitch\b", r"\breorder\w*\b", r"\?",
)


def read_agenda_reply(text: str) -> AgendaReading:
    """APPROVE (or "Approved, thanks", "Yes, that's fine") approves; a reply that asks for
    anything, or says no, is a request for changes."""
    prepared = _prepare(text)
    if not prepared.strip():
        return AgendaReading("empty", "the reply is empty")
    low = prepared.lower()
    evidence = " ".join(prepared.split())[:200]
    against = _DISAGREE.search(low)
    if against:
        return AgendaReading("changes", f'does not agree ("{_phrase(prepared, *against.span())}")',
                             evidence)
    change = _CHANGE_WORDS.search(low)
    agree = _AGREE.search(low)
    if agree and not change:
        return AgendaReading("approve", f'agrees the agenda ("{_phrase(prepared, *agree.span())}")',
                             evidence)
    if change:
        return AgendaReading("changes", "asks for changes "
                             f'("{_phrase(prepared, *change.span())}")', evidence)
    return AgendaReading("changes", "does not say APPROVE; passed on as comments", evidence)
