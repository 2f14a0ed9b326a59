"""Quorum for a meeting: forecast from the replies, and judged from the attendance recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.people.directory import body_seats
from clerk.rules import quorum
from clerk.rules.people import Attendee, Seat
from clerk.rules.verdict import Verdict
from clerk.store.rows import fetch_all


@dataclass(frozen=True)
class ReplyLine:
    """One member's answer so far."""

    email: str
    name: str
    reply: str  # attend | apologies | substitute | no_reply
    substitute_email: str = ""
    substitute_name: str = ""
    substitute_reply: str = ""


@dataclass(frozen=True)
class Forecast:
    """Will the meeting be quorate? ``confirmed`` counts only those who said yes (or whose
    substitute is coming); ``possible`` also counts everyone who has not replied yet."""

    confirmed: Verdict
    possible: Verdict
    replies: tuple[ReplyLine, ...]

    @property
    def no_reply(self) -> list[ReplyLine]:
        return [r for r in self.replies if r.reply == "no_reply"]

    @property
    def summary(self) -> str:
        if self.confirmed.ok:
            return f"quorate on the replies so far: {self.confirmed.reason}"
        if self.possible.ok:
            return (f"not yet quorate: {self.confirmed.reason}; it can still be if enough of the "
                    f"{len(self.no_reply)} who have not replied come")
        return f"cannot be quorate even if everyone who has not replied comes: {self.possible.reason}"


REPLIES_SQL = """
SELECT i.person_id, i.reply, s.email AS sub_email, s.name AS sub_name, si.reply AS sub_reply
FROM invitations i
LEFT JOIN people s ON s.id = i.substitute_id
LEFT JOIN invitations si ON si.meeting_id = i.meeting_id AND si.person_id = i.substitute_id
WHERE i.meeting_id = ? AND i.stands_for IS NULL
"""


def replies(db: Database, meeting: Meeting) -> list[tuple[Seat, ReplyLine]]:
    seats = body_seats(db, meeting.body)
    got = {r["person_id"]: r for r in fetch_all(db, REPLIES_SQL, [meeting.id])}
    out = []
    for pid, seat in seats.items():
        row: dict[str, Any] = got.get(pid) or {"reply": "no_reply"}
        line = ReplyLine(seat.email, seat.name, row["reply"],
                         row.get("sub_email") or "", row.get("sub_name") or "",
                         row.get("sub_reply") or "")
        out.append((seat, line))
    return out


def forecast(app: Clerk, meeting: Meeting) -> Forecast:
    """The quorum forecast for a meeting from the replies received so far."""
    return forecast_of(app.body(meeting.body).quorum, replies(app.store.db, meeting))


def forecast_of(rule: quorum.Condition, pairs: Sequence[tuple[Seat, ReplyLine]]) -> Forecast:
    """The forecast under ``rule`` from each seat's reply (read by :func:`replies`, or for many
    meetings at once by the dashboard)."""
    confirmed: list[Attendee] = []
    possible: list[Attendee] = []
    for seat, line in pairs:
        if line.reply == "attend":
            confirmed.append(Attendee(seat))
        elif line.reply == "substitute" and line.substitute_reply not in ("apologies", "withdrawn"):
            confirmed.append(Attendee(seat, substitute=line.substitute_name or
                                      line.substitute_email))
        elif line.reply == "no_reply":
            possible.append(Attendee(seat))
    return Forecast(quorum.evaluate(rule, confirmed),
                    quorum.evaluate(rule, confirmed + possible),
                    tuple(line for _, line in pairs))
