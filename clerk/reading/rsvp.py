"""Reading an answer to a meeting invitation: attend, apologies, a substitute, or unclear.

Pure and channel-independent (email replies, chat messages...); only the part of the answer that
:func:`clerk.reading.scan.prepare` keeps is read. The approach is deliberately plain: recognise
negative phrases first and blank them out, so "I won't be there" can never also read as "be
there"; then look for positive phrases; a yes *and* a no is a contradiction, reported as unclear
rather than guessed.

Every reading carries a reason ``code`` (:data:`RsvpCode`) saying why it reads as it does, and a
``reason`` sentence for the log. What a member is told is chosen by the code
(:mod:`clerk.mail_in.responses`), never by the words of the sentence. The codes of a calendar's
answer (``calendar_*``) are declared here too: :mod:`clerk.reading.calendar_reply` reads those
into the same :class:`RsvpReading`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeGuard, get_args

from clerk.reading.scan import SENTENCE, Hit, hits, lower, mask, phrase, prepare, rx

RsvpIntent = Literal["attend", "apologies", "substitute", "unclear"]

RsvpFirmCode = Literal[
    "will_attend",  # says they will come
    "sends_apologies",  # says they cannot come
    "substitute_named",  # names a stand-in, with an email address
    "calendar_accepted",  # pressed Accept in their calendar
    "calendar_declined",  # pressed Decline
    "calendar_delegated",  # delegated the invitation to someone (named by address)
]
"""Why an answer reads as attend, apologies or a substitute."""

RsvpUnclearCode = Literal[
    "empty",  # nothing to read
    "yes_and_no",  # both a yes and a no
    "substitute_and_attending",  # names a stand-in, but also says they will come themselves
    "tentative",  # hedged or conditional: "maybe", "if I can", "not sure yet"
    "substitute_without_address",  # names a stand-in, without an email address
    "substitute_unnamed",  # mentions a substitute, but names nobody
    "nothing_recognised",  # no yes, no no, no substitute
    "calendar_tentative",  # pressed Tentative in their calendar
    "calendar_no_status",  # the calendar answered with no participation status at all
    "calendar_other",  # the calendar answered some other status (NEEDS-ACTION, a delegation to nobody)
]
"""Why an answer is unclear: each is told to the member in words of its own."""

RsvpCode = Literal[RsvpFirmCode, RsvpUnclearCode]

UNCLEAR_CODES: frozenset[str] = frozenset(get_args(RsvpUnclearCode))


def unclear_rsvp(code: RsvpCode) -> TypeGuard[RsvpUnclearCode]:
    """Whether ``code`` says why a reading is unclear (one of :data:`RsvpUnclearCode`)."""
    return code in UNCLEAR_CODES


@dataclass(frozen=True)
class RsvpReading:
    """What an RSVP answer means: the ``intent``, the reason ``code``, any substitute named, the
    phrase that decided it (``evidence``) and a ``reason`` sentence for the log.

    ``intent`` is ``unclear`` exactly when ``code`` is one of :data:`RsvpUnclearCode`."""

    intent: RsvpIntent
    code: RsvpCode
    substitute_name: str | None = None
    substitute_email: str | None = None
    evidence: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.intent == "unclear") != (self.code in UNCLEAR_CODES):
            raise ValueError(f"an RSVP reading {self.intent!r} cannot have the code {self.code!r}")


# --------------------------------------------------------------------------- vocabulary

_NEG = (
    r"(?:can't|cant|cannot|can not|won't|wont|will not|wouldn't|would not|couldn't|could not|shan't"
    r"|shall not|am not|i'm not|im not|not|unable to|no longer able to|don't think i(?:'ll| will| can)?"
    r"|do not think i(?:'ll| will| can)?|n't)"
)
_VERB = (
    r"(?:attend\w*|make it|make the \w+|come|coming|be there|be present|be in attendance|join\w*|go|going"
    r"|be available|available|participate|present|be with you|take part)"
)

_POSITIVE_IDIOMS = rx(
    r"\b(?:wouldn't|would not|won't|will not) miss (?:it|this)\b", r"\bcan't wait\b", r"\bcannot wait\b"
)
_HEDGES = rx(
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
_NEGATIVES = rx(
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
_ATTENDS = rx(
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
_SUB_STRONG = rx(
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
_SUB_WEAK = rx(
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


# --------------------------------------------------------------------------- reading


def _yes_no_hits(low: str, original: str) -> tuple[list[Hit], list[Hit]]:
    """Bare "yes"/"no" answers: a clause that starts with one and goes on plausibly."""
    yes: list[Hit] = []
    no: list[Hit] = []
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
                bucket.append(Hit(start, end, phrase(original, start, end)))
    return yes, no


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in SENTENCE.finditer(text) if m.group().strip()]


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
    return _Substitute(name, email, (start, end), phrase(text, start, end), strong is not None)


def _find_third_party(text: str) -> _Substitute | None:
    """Someone else (a name or address) who "will"/"can" go: a substitute when the member declines."""
    for match in _THIRD_PARTY.finditer(text):
        email = match.group(1).lower() if match.group(1) else None
        name = _name_near_email(text, match.start(1), match.end(1)) if email else _clean_name(match.group(2))
        if email or (name and match.group(2) and name == match.group(2)):
            sentences = _sentences(text)
            start, end = sentences[_sentence_index(sentences, match.start())]
            return _Substitute(name, email, (start, end), phrase(text, start, end), False)
    return None



def _substitute_reading(sub: _Substitute, text: str, low: str) -> RsvpReading:
    outside = mask(low, [sub.span])
    self_attend = _ATTENDS.search(
        mask(outside, [(h.start, h.end) for h in hits(_NEGATIVES, outside, text)])
    )
    if self_attend:
        return RsvpReading(
            "unclear",
            "substitute_and_attending",
            sub.name,
            sub.email,
            f"{sub.evidence} / {phrase(text, *self_attend.span())}",
            "contradiction: names a substitute but also says the member will attend",
        )
    if sub.email:
        who = f"{sub.name} <{sub.email}>" if sub.name else sub.email
        return RsvpReading(
            "substitute", "substitute_named", sub.name, sub.email, sub.evidence, f"substitute named: {who}"
        )
    if sub.name:
        reason = (
            f"a substitute ({sub.name}) is named but without an email address: please ask for their address"
        )
        return RsvpReading("unclear", "substitute_without_address", sub.name, None, sub.evidence, reason)
    reason = "mentions a substitute but gives no name or email address: please ask who will attend"
    return RsvpReading("unclear", "substitute_unnamed", None, None, sub.evidence, reason)


def read_rsvp(text: str) -> RsvpReading:
    """Read an RSVP answer: attend, apologies, substitute, or unclear (with why)."""
    original = prepare(text)
    if not original:
        return RsvpReading("unclear", "empty", reason="empty reply: nothing to read")
    low = lower(original)
    sub = _find_substitute(original, low)
    if sub is not None:
        return _substitute_reading(sub, original, low)
    hedge = _HEDGES.search(low)
    if hedge:
        said = phrase(original, *hedge.span())
        return RsvpReading(
            "unclear", "tentative", evidence=said, reason=f'tentative or conditional answer ("{said}")'
        )
    idioms = hits(_POSITIVE_IDIOMS, low, original)
    low = mask(low, [(h.start, h.end) for h in idioms])
    negatives = hits(_NEGATIVES, low, original)
    low = mask(low, [(h.start, h.end) for h in negatives])
    yes, no = _yes_no_hits(low, original)
    if negatives or no:
        third = _find_third_party(original)
        if third is not None:
            return _substitute_reading(third, original, lower(original))
    attends = idioms + hits(_ATTENDS, low, original)
    return _decide(attends + yes, negatives + no)


def _first_phrase(found: list[Hit]) -> str:
    """The most telling phrase: the longest, earliest on ties (a bare yes/no only if alone)."""
    return min(found, key=lambda h: (-(h.end - h.start), h.start)).phrase


def _decide(attends: list[Hit], refusals: list[Hit]) -> RsvpReading:
    if attends and refusals:
        yes, no = _first_phrase(attends), _first_phrase(refusals)
        return RsvpReading(
            "unclear",
            "yes_and_no",
            evidence=f"{yes} / {no}",
            reason=f'contradiction: both yes ("{yes}") and no ("{no}") found',
        )
    if attends:
        said = _first_phrase(attends)
        return RsvpReading("attend", "will_attend", evidence=said, reason=f'will attend ("{said}")')
    if refusals:
        said = _first_phrase(refusals)
        return RsvpReading(
            "apologies", "sends_apologies", evidence=said, reason=f'sends apologies ("{said}")'
        )
    return RsvpReading(
        "unclear", "nothing_recognised", reason="nothing recognised as yes, no or a substitute"
    )
