"""Reading action points: the ``ACTION:`` lines of a meeting's minutes, and an owner's answer
about their action in their own words. Pure string work; what could not be read is said by a
code (:data:`LineProblem`, :data:`ReplyCode`), never by a sentence.

- ``read_action_lines(text, held_on)``: every line such as ``ACTION: Jane Smith - circulate the
  carers survey - by 14 March 2027`` (also ``Action:``, ``ACTION -``, a bullet before it, the
  date as ``14/03/2027`` or ``2027-03-14``, a day and month without a year being the next such
  day after the meeting); a line whose owner or date is missing is still returned, with its
  problems.
- ``read_action_reply(text, today)``: ``done`` ("done", "done - sent on Tuesday", "completed"),
  ``more_time`` with the new date ("need until April": the last day of April; "can I have until
  30 April"), ``cannot`` ("I can't do this"), or ``unclear``.
- ``read_date(text, after)``: one date in words or figures.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from clerk.reading.answer_text import answer_part

LineProblem = Literal["no_owner", "no_text", "no_date", "bad_date"]
"""What could not be read of an ``ACTION:`` line: no owner before the first dash, no action,
no ``by DATE``, or a date that is not one (``by 31 February``)."""

ReplyCode = Literal["done", "more_time", "cannot", "unclear", "no_date"]
"""What an owner's answer says: done, more time (with a date), they cannot do it; or unclear:
nothing recognised, or more time asked for without a date clerk can read (``no_date``)."""

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"

_ACTION = re.compile(r"^\s*(?:[-*\u2022]\s*)?action(?:\s+point)?\s*[:\-\u2013\u2014]\s*(.*)$",
                     re.IGNORECASE)
_DASH = re.compile(r"\s+[-\u2013\u2014]\s+|\s*[\u2013\u2014]\s*")
_BY = re.compile(r"(?:^|\s)(?:by|due(?:\s+by)?|before)\s*:?\s+(.+?)\s*\.?\s*$", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"^(?:\w+day\s+)?{_ORDINAL}(?:\s+of)?\s+{_MONTH}(?:\s*,?\s*(\d{{4}}))?$",
                        re.IGNORECASE)
_MONTH_DAY = re.compile(rf"^{_MONTH}\s+{_ORDINAL}(?:\s*,?\s*(\d{{4}}))?$", re.IGNORECASE)
_MONTH_ONLY = re.compile(rf"^(?:the\s+end\s+of\s+)?{_MONTH}(?:\s+(\d{{4}}))?$", re.IGNORECASE)
_SLASHES = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class ActionLine:
    """One ``ACTION:`` line as read: ``owner`` the name (or address) written, ``due`` the date
    (None if missing or not a date), ``problems`` what could not be read."""

    number: int  # the line's number in the text, from 1
    line: str
    owner: str
    text: str
    due: date | None
    problems: tuple[LineProblem, ...] = ()


@dataclass(frozen=True)
class ActionReply:
    code: ReplyCode
    said: str
    due: date | None = None


def _year_for(month: int, day: int, after: date) -> date | None:
    """The first ``day``/``month`` on or after ``after``."""
    for year in (after.year, after.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= after:
            return found
    return None


def _dated(year: str | None, month: int, day: int, after: date) -> date | Literal[False]:
    if year:
        return date(int(year), month, day)
    return _year_for(month, day, after) or False


def read_date(text: str, after: date, *, month_end: bool = True) -> date | Literal[False] | None:
    """The date ``text`` names: None if it names none, False if it looks like one but is not
    (``31 February``). A date without a year is the next one on or after ``after``; a month alone
    (``April``, ``the end of April``) its last day when ``month_end``."""
    words = re.sub(r"\s+", " ", text.strip().rstrip(".!?,;")).strip()
    words = re.sub(r"^(?:the\s+)?(?:end\s+of\s+)?", "", words, flags=re.IGNORECASE) \
        if _MONTH_ONLY.match(words) else words
    words = re.sub(r"^the\s+", "", words, flags=re.IGNORECASE)
    try:
        if m := _ISO.match(words):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _SLASHES.match(words):
            yy = int(m.group(3))
            return date(yy + 2000 if yy < 100 else yy, int(m.group(2)), int(m.group(1)))
        if m := _DAY_MONTH.match(words):
            day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], m.group(3)
            return _dated(year, month, day, after)
        if m := _MONTH_DAY.match(words):
            month, day, year = _MONTHS[m.group(1).lower()], int(m.group(2)), m.group(3)
            return _dated(year, month, day, after)
        if month_end and (m := _MONTH_ONLY.match(words)):
            month = _MONTHS[m.group(1).lower()]
            year = int(m.group(2)) if m.group(2) else (
                after.year if month >= after.month else after.year + 1)
            return date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return False
    return None


def read_action_lines(text: str, held_on: date) -> list[ActionLine]:
    """Every ``ACTION:`` line of the minutes' text, in order, with what could not be read."""
    found: list[ActionLine] = []
    for number, raw in enumerate(text.splitlines(), 1):
        m = _ACTION.match(raw)
        if not m:
            continue
        rest = m.group(1).strip()
        problems: list[LineProblem] = []
        due: date | None = None
        by = _BY.search(rest)
        if by:
            read = read_date(by.group(1), held_on, month_end=True)
            if read is None:
                problems.append("no_date")
            elif read is False:
                problems.append("bad_date")
            else:
                due = read
            rest = rest[:by.start()].rstrip(" -\u2013\u2014,;")
        else:
            problems.append("no_date")
        parts = [p.strip() for p in _DASH.split(rest, maxsplit=1)]
        owner, what = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        what = what.strip(" .-\u2013\u2014")
        first: list[LineProblem] = []
        if not owner:
            first.append("no_owner")
        if not what:
            first.append("no_text")
        found.append(ActionLine(number, raw.strip(), owner, what, due, tuple(first + problems)))
    return found


_DONE = re.compile(r"^(?:it\s*(?:'s|\s+is|\s+has\s+been)\s+|this\s+is\s+|all\s+|now\s+)?"
                   r"(?:done|completed?|finished|sent|circulated|sorted)\b", re.IGNORECASE)
_CANNOT = re.compile(r"\b(?:can'?t|cannot|can\s+not|unable\s+to|won'?t\s+be\s+able|not\s+able)\b",
                     re.IGNORECASE)
_MORE = re.compile(r"\b(?:until|till|til|extension|more\s+time|extend|by)\b\s*(.*)$",
                   re.IGNORECASE)
_ASKS_TIME = re.compile(r"\b(?:need|needs|have|get|want|more\s+time|extension|extend|until|till)\b",
                        re.IGNORECASE)


def read_action_reply(text: str, today: date) -> ActionReply:
    """What an owner's answer about their action says."""
    answer = answer_part(text).strip()
    first = next((line.strip() for line in answer.splitlines() if line.strip()), "")
    said = first[:300]
    if not first:
        return ActionReply("unclear", "")
    if _DONE.match(first):
        return ActionReply("done", said)
    if _CANNOT.search(first) and not re.search(r"\buntil\b", first, re.IGNORECASE):
        return ActionReply("cannot", said)
    more = _MORE.search(first)
    if more and _ASKS_TIME.search(first):
        tail = re.split(r"[,;!?]|\s+(?:please|if|as|because)\b", more.group(1), maxsplit=1,
                        flags=re.IGNORECASE)[0]
        due = read_date(tail, today)
        if due:
            return ActionReply("more_time", said, due)
        return ActionReply("no_date", said)
    return ActionReply("unclear", said)
