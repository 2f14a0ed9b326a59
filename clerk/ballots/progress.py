"""A ratification vote as it stands, for the facilitator: who in the frozen electorate has voted
(when, and by which channel), never how (reads only; the console's vote page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clerk.app import Clerk
from clerk.ballots.ratification import Ballot
from clerk.store.rows import fetch_all
from clerk.times import from_iso


@dataclass(frozen=True)
class VoterLine:
    """One voter of the electorate: their latest vote's time and channel (None: not voted), and
    how many votes they sent (a later one replaces an earlier one)."""

    name: str
    email: str
    voted_at: datetime | None
    channel: str
    votes: int

    @property
    def voted(self) -> bool:
        return self.voted_at is not None


def voters(app: Clerk, ballot: Ballot) -> list[VoterLine]:
    """The electorate in name order, each with whether (and when) they voted."""
    latest: dict[str, tuple[str, str, int]] = {}
    for row in fetch_all(app.store.db, "SELECT p.email, v.received_at, v.channel FROM votes v "
                                       "JOIN people p ON p.id = v.person_id WHERE v.ballot_id = ? "
                                       "ORDER BY v.received_at, v.id", [ballot.id]):
        count = latest[row["email"]][2] + 1 if row["email"] in latest else 1
        latest[row["email"]] = (row["received_at"], row["channel"], count)
    out = []
    for seat in sorted(ballot.electorate, key=lambda s: (s.name.casefold(), s.email)):
        found = latest.get(seat.email)
        out.append(VoterLine(seat.name, seat.email, from_iso(found[0]) if found else None,
                             found[1] if found else "", found[2] if found else 0))
    return out
