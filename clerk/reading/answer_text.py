"""Which part of a written reply is the writer's answer.

Three things around an answer are never part of it, whatever words they contain: clerk's own
words repeated back (its instructions and YES/NO lines, taken from the email templates, so they
stay in step with what clerk sends), legal boilerplate (confidentiality notices, disclaimers,
external-sender banners), and whatever follows the sign-off ("Kind regards", "Best wishes" ...:
a name, a job title, working days, a footer).  Pure string work, line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from clerk.resources import TemplatesNotFound, templates_dir

__all__ = ["MAX_ANSWER_LINES", "answer_part", "is_own_words"]

MAX_ANSWER_LINES = 60  # the readers look at fewer still; this keeps long pasted threads cheap

_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                             "\u2014": "-", "\u00a0": " "})
_SPACES = re.compile(r"\s+")
_JINJA_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}")
_JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}")
_WORDS = re.compile(r"[a-z]+")


def _normal(line: str) -> str:
    return _SPACES.sub(" ", line.translate(_TYPOGRAPHY)).strip().lower()


# --------------------------------------------------------------------------- clerk's own words


@dataclass(frozen=True)
class _OwnWords:
    """Lines of clerk's emails: whole literal lines, and lines with placeholders as patterns.
    ``short`` lines ("ABSTAIN", "Thank you.") count only next to a longer line of clerk's."""

    exact: frozenset[str]
    short: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]


@lru_cache(maxsize=1)
def _own_words() -> _OwnWords:
    exact: set[str] = set()
    short: set[str] = set()
    patterns: dict[str, tuple[str, re.Pattern[str]]] = {}
    try:
        files = sorted((templates_dir() / "email").glob("*.txt.j2"))
    except TemplatesNotFound:
        files = []
    for path in files:
        for raw in path.read_text("utf-8").splitlines():
            if raw.startswith("Subject:"):
                continue
            line = _JINJA_STATEMENT.sub("", raw)
            chunks = [_normal(c) for c in _JINJA_EXPRESSION.split(line)]
            literal = " ".join(c for c in chunks if c)
            if len(_WORDS.findall(literal)) < 3 or len(literal) < 12:
                if literal and len(chunks) == 1 and _WORDS.search(literal):
                    short.add(literal)
                continue
            if len(chunks) == 1:
                exact.add(literal)
                continue
            regex = ".{0,120}?".join(re.escape(c) for c in chunks)
            patterns.setdefault(regex, (max(chunks, key=len), re.compile(regex)))
    return _OwnWords(frozenset(exact), frozenset(short), tuple(patterns.values()))


def is_own_words(line: str) -> bool:
    """Is this line one of clerk's own (an instruction or YES/NO line of an email it sends)?"""
    norm = _normal(line).lstrip(">| ")
    if len(norm) < 12:
        return False
    own = _own_words()
    if norm in own.exact:
        return True
    return any(chunk in norm and rx.fullmatch(norm) for chunk, rx in own.patterns)


# --------------------------------------------------------------------------- sign-offs and boilerplate

_SIGN_OFF = re.compile(
    r"(?:(?:with )?(?:kind|kindest|best|warm|warmest|warm good|many|all good) (?:regards|wishes)"
    r"|regards|rgds|best|cheers|yours(?: sincerely| faithfully| truly| ever)?|sincerely|all the best"
    r"|take care|with (?:many )?thanks|(?:many )?thanks(?: again)?|thank you(?: again)?|ta"
    r"|mit freundlichen grüßen|viele grüße|beste grüße|liebe grüße|cordialement|bien à vous|saludos"
    r"|un saludo|atentamente|met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten"
    r"|(?:med )?venlig hilsen|mvh|pozdrawiam|z poważaniem|с уважением|distinti saluti|cordiali saluti)"
    r"[ ,.!-]*(?:[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3})?",
    re.IGNORECASE,
)
# a postscript under the signature is still the writer's: "PS", "P.S.", "PPS"
_POSTSCRIPT = re.compile(r"p\.?\s?p?\.?\s?s\b\.?\s*[:,-]?", re.IGNORECASE)
_PS_REACH = 8  # lines below the sign-off searched for one (a name, a title, a phone number ...)
_NOT_A_NAME = frozenset({"I", "I'm", "I'll", "I've", "I'd", "We", "Yes", "No", "Sorry", "Unfortunately",
                         "Apologies", "Please", "Afraid", "Count", "See"})
_THANKS = re.compile(r"(?:many |with (?:many )?)?thank", re.IGNORECASE)
_GREETING = re.compile(
    r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|morning|afternoon)\b.{0,50}", re.IGNORECASE
)
_BOILERPLATE = re.compile(
    "|".join(
        (
            r"intended (?:solely |only )?for (?:the )?(?:use of )?(?:the )?(?:addressee|named|individual"
            r"|person|recipient|attention)",
            r"intended recipient",
            r"named addressee",
            r"legally privileged",
            r"this (?:e-?mail|message)(?: and any (?:attachments|files)[^.]{0,40})?"
            r" (?:is|are|may be|contains?|may contain) (?:strictly )?(?:confidential|private|privileged)",
            r"privileged and confidential",
            r"confidentiality (?:notice|statement|warning)",
            r"^(?:\W*)disclaimer\b",
            r"(?:must|should) not (?:use|read|copy|disclose|disseminate|distribute|forward|print)",
            r"(?:disclos\w*|copying|distribut\w*|dissemination)[^.]{0,80}"
            r"(?:prohibited|not permitted|unlawful|forbidden)",
            r"unauthori[sz]ed (?:use|disclosure|access|copying|review)",
            r"received this (?:e-?mail|message|communication)[^.]{0,20} (?:in error|by mistake)",
            r"(?:free (?:from|of) (?:any )?vir|checked for vir|scanned for vir|virus[- ](?:check|scan|free))",
            r"(?:accepts?|takes?) no (?:liability|responsibility)",
            r"(?:not|cannot|can't|unable to) (?:accept|be held) (?:any )?(?:liability|responsib)",
            r"no (?:liability|responsibility) (?:is|can be|will be) accepted",
            r"(?:e-?mails?|messages?|communications?)[^.]{0,50}(?:may|will) be (?:monitored|recorded"
            r"|intercepted|read by)",
            r"freedom of information act",
            r"registered (?:in england|in scotland|in wales|charity|office|company|number)",
            r"company (?:number|no\.?|registration)",
            r"limited by guarantee",
            r"nhsmail is",
            r"originated from outside (?:of )?(?:the|our|your|this)",
            r"do not click (?:on )?(?:any )?links",
            r"(?:consider the environment|think before you print|before printing this)",
            r"internet e-?mail is not (?:a )?secure",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n(?=\s*\n)")


def _is_sign_off(lines: list[str], i: int, stripped: str) -> bool:
    if len(stripped) > 60 or _SIGN_OFF.fullmatch(stripped) is None:
        return False
    if not _THANKS.match(stripped):
        return True
    # "Thanks" closes the message only when a name (or nothing) follows, not "Thanks\nI can't come"
    for later in lines[i + 1 : i + 4]:
        if later.strip():
            return _looks_like_a_name(later.strip())
    return True


def _looks_like_a_name(line: str) -> bool:
    """ "Jo", "Dr Priya Raman", "Cllr T. Hardy": up to four capitalised words, no digits."""
    words = line.rstrip(",").split()
    if not 1 <= len(words) <= 4 or words[0] in _NOT_A_NAME or any(c.isdigit() for c in line):
        return False
    return all(w[0].isupper() for w in words)


def _before_boilerplate(paragraph: str) -> str | None:
    """The part of a paragraph before its boilerplate, or None when it holds none."""
    flat = paragraph.translate(_TYPOGRAPHY)
    found = _BOILERPLATE.search(flat)
    if found is None:
        return None
    start = 0
    for end in _SENTENCE_END.finditer(flat, 0, found.start()):
        start = end.end()
    return paragraph[:start].rstrip()


def answer_part(text: str) -> str:
    """The writer's answer: without clerk's own lines, boilerplate, or anything after the sign-off.

    Boilerplate above the answer (an external-sender banner) is skipped; boilerplate after it ends
    the answer, as a sign-off does ("Yes - ratify / Kind regards / Jo / <confidentiality notice>"
    is "Yes - ratify").  A line is clerk's own when it repeats a line of clerk's emails.
    """
    kept: list[str] = []
    content = False  # something other than a greeting has been kept
    pending = False  # ... or is in the paragraph being read
    previous_own = False
    paragraph: list[str] = []
    lines = text.splitlines()

    def flush() -> bool:
        """Keep the paragraph (or what comes before its boilerplate); True to stop reading."""
        nonlocal content, pending
        if not paragraph:
            return False
        joined = "\n".join(paragraph)
        paragraph.clear()
        had, pending = pending, False
        before = _before_boilerplate(joined)
        if before is None:
            kept.extend([joined, ""])
            content = content or had
            return False
        if before:
            kept.extend([before, ""])
            return True
        return content

    signed_at: int | None = None  # the sign-off's line: skip to a P.S. under it, if any
    for i, line in enumerate(lines):
        stripped = line.strip()
        if signed_at is not None:
            if i - signed_at > _PS_REACH:
                break
            if _POSTSCRIPT.match(stripped) is None:
                continue
            signed_at = None
        if not stripped:
            if flush():
                break
            continue
        if is_own_words(stripped) or (previous_own and _normal(stripped) in _own_words().short):
            previous_own = True
            continue
        previous_own = False
        if (content or pending) and _is_sign_off(lines, i, stripped):
            flush()
            signed_at = i
            continue
        pending = pending or _GREETING.fullmatch(stripped) is None
        paragraph.append(stripped)
        if len(kept) + len(paragraph) > MAX_ANSWER_LINES:
            break
    flush()
    return "\n".join(kept).strip()
