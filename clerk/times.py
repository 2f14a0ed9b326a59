"""Time in the store (UTC ISO text) and time for people (Europe/London, in words)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def to_iso(when: datetime) -> str:
    """The UTC text form kept in the database."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: say which zone it is in")
    return when.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def localise(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as an aware instant (the earlier one if the clocks go back)."""
    return naive.replace(tzinfo=zone, fold=0)


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """``2027-01-14 10:00`` (local wall-clock time) as an aware instant."""
    text = re.sub(r"(\d)T(\d)", r"\1 \2", text.strip())
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return localise(datetime.strptime(text, fmt), zone)
        except ValueError:
            continue
    raise ValueError(f'"{text}" is not a date and time like "2027-01-14 10:00"')


def parse_start(text: str, zone: ZoneInfo) -> datetime:
    """A meeting's start, ``2027-01-14 10:00``, as an aware instant. A date alone is refused (it
    would be a meeting at midnight): the console and the command line both read a start here."""
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text.strip()):
        raise ValueError(f'"{text.strip()}" is a date without a time: say what time the meeting '
                         f"starts, e.g. {text.strip()} 10:00")
    return parse_local(text, zone)


def in_words(when: datetime, zone: ZoneInfo) -> str:
    """``Thursday 14 January 2027 at 10:00``."""
    local = when.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def day_in_words(when: datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"
