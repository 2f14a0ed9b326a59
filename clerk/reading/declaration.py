"""Reading declarations of interest: "I declare an interest in item 3 as a trustee of ...".

Pure and channel-independent. A reply may declare interests in numbered agenda items, say there
is nothing to declare, or say nothing of interests at all; a declaration that does not say which
item, or names an item not on the agenda, is unclear. The reason is a code
(:data:`DeclarationCode`); the sentence is for the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeGuard, get_args

from clerk.reading.scan import SENTENCE, prepare, rx

DeclarationFirmCode = Literal[
    "declared",  # one or more interests, each against agenda items
    "nothing_to_declare",  # an explicit nil return
    "no_declaration",  # says nothing of interests
]
DeclarationUnclearCode = Literal[
    "item_not_said",  # declares an interest but not in which item
    "no_such_item",  # names an item the agenda does not have
]
"""Why a declaration cannot be recorded against an item."""

DeclarationCode = Literal[DeclarationFirmCode, DeclarationUnclearCode]

UNCLEAR_CODES: frozenset[str] = frozenset(get_args(DeclarationUnclearCode))


def unclear_declaration(code: DeclarationCode) -> TypeGuard[DeclarationUnclearCode]:
    """Whether ``code`` says why a reading is unclear (one of :data:`DeclarationUnclearCode`)."""
    return code in UNCLEAR_CODES


@dataclass(frozen=True)
class DeclaredInterest:
    """One declaration: the agenda item numbers it covers and the interest in the writer's words."""

    items: tuple[int, ...]
    interest: str
    evidence: str


@dataclass(frozen=True)
class DeclarationReading:
    """Declarations found in a message, and the ``code`` saying what was found: ``declared``;
    ``nothing_to_declare`` for an explicit nil return; an unclear code when an interest is
    declared but not which item, or an item that is not on the agenda (``items`` are then the
    numbers that are not, ``n_items`` how many the agenda has). ``reason`` is for the log."""

    code: DeclarationCode
    declarations: tuple[DeclaredInterest, ...] = ()
    reason: str = ""
    items: tuple[int, ...] = ()
    n_items: int = 0

    @property
    def found(self) -> bool:
        return bool(self.declarations)

    @property
    def nothing_to_declare(self) -> bool:
        return self.code == "nothing_to_declare"

    @property
    def unclear(self) -> bool:
        return self.code in UNCLEAR_CODES


_DECLARE = rx(
    r"\bdeclar\w* (?:an? |my |the following )?(?:\w+ )?interests?\b",
    r"\binterests? to declare\b",
    r"\bconflict(?:s|ed)? of interests?\b",
    r"\bdeclaration of interests?\b",
    r"\b(?:have|has) an? (?:\w+ )?interest in (?:agenda )?items?\b",
    r"\bi am conflicted\b",
    r"\bi'm conflicted\b",
)
_NOTHING_TO_DECLARE = rx(
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
    prepared = prepare(text)
    found: list[DeclaredInterest] = []
    nil = bool(_NOTHING_TO_DECLARE.search(prepared.lower()))
    for start, end in ((m.start(), m.end()) for m in SENTENCE.finditer(prepared)):
        sentence = prepared[start:end]
        low = sentence.lower()
        if _NOTHING_TO_DECLARE.search(low):
            continue
        trigger = _DECLARE.search(low)
        if trigger is None:
            continue
        items = list(_ITEM_NUMBERS.finditer(sentence))
        if not items:
            return DeclarationReading("item_not_said", reason="an interest is declared but not in "
                                      "which agenda item (say, for example, \"item 3\")",
                                      n_items=n_items)
        numbers = sorted({n for m in items for n in _item_numbers(m)})
        wrong = [n for n in numbers if not 1 <= n <= n_items]
        if wrong:
            listed = ", ".join(map(str, wrong))
            return DeclarationReading("no_such_item", reason=f"item {listed} is not on the agenda "
                                      f"(it has {n_items} items)", items=tuple(wrong), n_items=n_items)
        found.append(DeclaredInterest(tuple(numbers), _interest_words(sentence, trigger, items),
                                      " ".join(sentence.split())))
    if found:
        items_words = "; ".join(f"item {', '.join(map(str, d.items))}: {d.interest}"
                                for d in found)
        return DeclarationReading("declared", tuple(found), reason=f"declares an interest ({items_words})",
                                  n_items=n_items)
    if nil:
        return DeclarationReading("nothing_to_declare", reason="nothing to declare", n_items=n_items)
    return DeclarationReading("no_declaration", reason="no declaration of interest", n_items=n_items)
