"""What every reader shares: the part of an answer that is read (:func:`prepare`) and the small
tools for finding phrases in it without losing where they were (:func:`lower`, :func:`rx`,
:func:`mask`, :func:`hits`).

Only the first ``MAX_LINES`` non-empty lines (at most ``MAX_CHARS`` characters) are ever read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from clerk.reading.answer_text import answer_part

MAX_LINES = 40
MAX_CHARS = 4000  # and never more than this many characters (one huge pasted line)

SENTENCE = re.compile(r"(?:[^\n.!?]|[.!?](?=[^\s.!?]))+[.!?]*")
"""One sentence: up to a full stop, question or exclamation mark that ends it (not a "3.5")."""

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


def prepare(text: str) -> str:
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


def lower(text: str) -> str:
    """Lower-case without changing any offsets (so spans map back to the original)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def rx(*alternatives: str, flags: int = 0) -> re.Pattern[str]:
    """Compile alternatives; " " in a pattern means some whitespace, " ?" optional whitespace."""
    joined = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(joined.replace(" ?", r"\s*").replace(" ", r"\s+"), flags)


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span blanked out (same length, so later offsets still hold)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def phrase(text: str, start: int, end: int) -> str:
    """The words between two offsets, on one line."""
    return " ".join(text[start:end].split())


@dataclass(frozen=True)
class Hit:
    """A phrase found: where it is and what it says (in the writer's own spelling)."""

    start: int
    end: int
    phrase: str


def hits(pattern: re.Pattern[str], low: str, original: str) -> list[Hit]:
    """Every match of ``pattern`` in the lower-cased ``low``, quoted from ``original``."""
    return [Hit(m.start(), m.end(), phrase(original, m.start(), m.end())) for m in pattern.finditer(low)]
