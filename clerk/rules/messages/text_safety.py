"""Text from outside made inert: control characters and bidirectional overrides removed, and line
breaks collapsed where one line is wanted (a subject, a name, a line quoted back).

Whatever clerk stores or echoes from a message or a chat passes through :func:`clean_text`, so an
encoded line break in a subject cannot start new lines in clerk's answer, and U+202E cannot make a
name display reversed.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), and the marks
# (LRM, RLM, ALM) that have no place in a name or a subject.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_LINE_BREAK = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t]+")


def _keep(char: str, one_line: bool) -> bool:
    if char in _BIDI:
        return False
    if char == "\n" and not one_line:
        return True
    if char == "\t":
        return True
    return unicodedata.category(char) not in ("Cc", "Cs")


def clean_text(value: str, *, one_line: bool = True) -> str:
    """``value`` without control or bidi-override characters; with ``one_line`` (the default) every
    line break becomes a space and runs of spaces become one, else line breaks are kept as
    ``\\n``."""
    text = value.replace("\r\n", "\n")
    text = _LINE_BREAKS.sub(" ", text) if one_line else _LINE_BREAK.sub("\n", text)
    text = "".join(ch for ch in text if _keep(ch, one_line))
    if one_line:
        return _SPACES.sub(" ", text).strip()
    return "\n".join(_SPACES.sub(" ", line).rstrip() for line in text.split("\n"))
